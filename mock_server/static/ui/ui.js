// tango-mock dashboard: one live view of the mock (workspaces, requests, fault rules).
//
// Everything it shows comes from GET /_mock/events, already masked by the server: a
// `snapshot` event first, then one event per change. The stream is read with fetch() rather
// than EventSource so that an admin token can travel in a header. The page never builds
// HTML from data: every value goes into the DOM as text.
"use strict";

(() => {
  const TOKEN_KEY = "tango-mock-admin-token";
  const TOKEN_HEADER = "X-Mock-Admin-Token";
  const MAX_ROWS = 300; // journal rows kept on the page (the server keeps --journal-size)
  const SHOWN_DEPLOYMENTS = 200; // per workspace, as the server's snapshot
  const RETRY_MAX_MS = 5000;

  const view = {
    workspaces: [], // in the mock's order
    counts: { workspaces: 0, tokens: 0, deployments: 0, deleted_deployments: 0 },
    journal: [], // newest first
    journalSize: 0,
    faults: [],
    connected: false, // a first snapshot arrived
    openDeployments: new Set(), // "workspace/key" of expanded deployments, kept across renders
    openEntry: null, // the journal entry whose detail row is open
  };

  const $ = (id) => document.getElementById(id);

  // -- DOM helpers (text only, never HTML) -------------------------------------------------

  function h(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(props || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (name === "class") node.className = value;
      else if (name === "text") node.textContent = value;
      else if (name === "data") for (const [k, v] of Object.entries(value)) node.dataset[k] = v;
      else if (name === "on") for (const [k, v] of Object.entries(value)) node.addEventListener(k, v);
      else node.setAttribute(name, value);
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return node;
  }

  const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;

  function shortClass(path) {
    const parts = String(path).split(".");
    return parts[parts.length - 1] || String(path);
  }

  function clock(iso) {
    const moment = new Date(iso);
    if (Number.isNaN(moment.getTime())) return iso;
    const pad = (n, size = 2) => String(n).padStart(size, "0");
    return `${pad(moment.getHours())}:${pad(moment.getMinutes())}:${pad(moment.getSeconds())}.${pad(moment.getMilliseconds(), 3)}`;
  }

  function display(value) {
    return typeof value === "string" ? value : JSON.stringify(value);
  }

  // -- admin calls -------------------------------------------------------------------------

  function authHeaders(extra) {
    const headers = { ...(extra || {}) };
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (token) headers[TOKEN_HEADER] = token;
    return headers;
  }

  let tokenPrompt = null;

  function askToken(refused) {
    if (tokenPrompt) return tokenPrompt;
    const dialog = $("token-dialog");
    const form = $("token-form");
    const input = $("token-input");
    $("token-error").hidden = !refused;
    dialog.hidden = false;
    input.value = "";
    input.focus();
    tokenPrompt = new Promise((resolve) => {
      form.addEventListener(
        "submit",
        (event) => {
          event.preventDefault();
          sessionStorage.setItem(TOKEN_KEY, input.value);
          dialog.hidden = true;
          tokenPrompt = null;
          resolve();
        },
        { once: true },
      );
    });
    return tokenPrompt;
  }

  // An admin call; a 401 asks for the token (again) and retries.
  async function call(method, path, { json, text, type } = {}) {
    for (;;) {
      const headers = authHeaders();
      let body;
      if (json !== undefined) {
        headers["Content-Type"] = "application/json";
        body = JSON.stringify(json);
      } else if (text !== undefined) {
        headers["Content-Type"] = type;
        body = text;
      }
      const response = await fetch(path, { method, headers, body, cache: "no-store" });
      if (response.status === 401) {
        await askToken(Boolean(sessionStorage.getItem(TOKEN_KEY)));
        continue;
      }
      const isJson = (response.headers.get("Content-Type") || "").includes("json");
      const data = isJson ? await response.json().catch(() => null) : null;
      return { response, data };
    }
  }

  // -- notices -----------------------------------------------------------------------------

  function showNotice(kind, title, message, errors) {
    const notice = $("notice");
    notice.dataset.kind = kind;
    $("notice-title").textContent = title;
    $("notice-message").textContent = message ? ` ${message}` : "";
    $("notice-errors").replaceChildren(
      ...(errors || []).map((error) =>
        h("li", {}, error.field ? h("code", { text: error.field }) : null, error.field ? ": " : "", error.message || ""),
      ),
    );
    notice.hidden = false;
  }

  // A button that needs a second click within a few seconds (resets are not undoable).
  function confirmingButton(button, label, action) {
    let timer = null;
    const idle = button.textContent;
    button.addEventListener("click", async () => {
      if (!button.classList.contains("armed")) {
        button.classList.add("armed");
        button.textContent = label;
        timer = setTimeout(() => {
          button.classList.remove("armed");
          button.textContent = idle;
        }, 4000);
        return;
      }
      clearTimeout(timer);
      button.classList.remove("armed");
      button.textContent = idle;
      button.disabled = true;
      try {
        await action();
      } finally {
        button.disabled = false;
      }
    });
  }

  // -- header counts -----------------------------------------------------------------------

  function renderCounts() {
    if (!view.connected) return;
    const c = view.counts;
    const parts = [
      [c.workspaces, "workspace"],
      [c.deployments, "deployment"],
      [c.deleted_deployments, "retired key"],
      [c.tokens, "token"],
    ];
    $("counts").replaceChildren(
      ...parts.flatMap(([n, word], i) => [i ? " · " : "", h("b", { text: String(n) }), ` ${word}${n === 1 ? "" : "s"}`]),
    );
  }

  // -- workspaces --------------------------------------------------------------------------

  function initTable(values) {
    const entries = Object.entries(values || {});
    if (!entries.length) return h("div", { class: "none", text: "no init values" });
    return h(
      "table",
      { class: "init" },
      h(
        "tbody",
        {},
        entries.map(([key, value]) =>
          h("tr", {}, h("td", { text: key }), h("td", { class: display(value).includes("***") ? "masked" : null, text: display(value) })),
        ),
      ),
    );
  }

  function deploymentNode(space, deployment, fresh) {
    const id = `${space.name}/${deployment.deployment_key}`;
    const node = h(
      "details",
      { class: fresh ? "deployment fresh" : "deployment", data: { key: deployment.deployment_key } },
      h(
        "summary",
        {},
        h("span", { class: "deployment-key", text: deployment.deployment_key }),
        h(
          "span",
          { class: "deployment-classes" },
          h("span", { title: deployment.registry_connector_class, text: shortClass(deployment.registry_connector_class) }),
          h("span", { class: "arrow", text: "→" }),
          h("span", { title: deployment.server_proxy_class, text: shortClass(deployment.server_proxy_class) }),
        ),
      ),
      h(
        "div",
        { class: "deployment-detail" },
        h(
          "div",
          {},
          h("div", { class: "part-title", text: "registry connector" }),
          h("div", { class: "class-path", text: deployment.registry_connector_class }),
          initTable(deployment.registry_connector_init),
        ),
        h(
          "div",
          {},
          h("div", { class: "part-title", text: "server proxy" }),
          h("div", { class: "class-path", text: deployment.server_proxy_class }),
          initTable(deployment.server_proxy_init),
        ),
      ),
    );
    node.open = view.openDeployments.has(id);
    node.addEventListener("toggle", () => {
      if (node.open) view.openDeployments.add(id);
      else view.openDeployments.delete(id);
    });
    return node;
  }

  function workspaceNode(space, freshKey) {
    const reset = h("button", { type: "button", class: "button small quiet danger", title: `Put ${space.name} back as the seed has it`, text: "Reset" });
    confirmingButton(reset, "Confirm", () => resetWorkspace(space.name));
    const hidden = space.deployment_count - space.deployments.length;
    const hiddenRetired = space.retired_count - space.retired.length;
    return h(
      "article",
      { class: "workspace", data: { workspace: space.name } },
      h(
        "div",
        { class: "workspace-head" },
        h("span", { class: "workspace-name", text: space.name }),
        space.disabled ? h("span", { class: "badge off", title: "its tokens get 403", text: "disabled" }) : null,
        h("span", { class: "badge", text: plural(space.deployment_count, "deployment") }),
        h("span", { class: "spacer" }),
        reset,
      ),
      space.tokens.length
        ? h(
            "div",
            { class: "tokens" },
            space.tokens.map((token) =>
              h("span", {
                class: token.expired ? "token expired" : "token",
                title: token.expired ? `expired ${token.expires_at}` : token.expires_at ? `expires ${token.expires_at}` : "bearer token",
                text: token.token,
              }),
            ),
          )
        : h("div", { class: "none", text: "no tokens: nobody can call the API for it" }),
      space.deployments.length
        ? h("div", { class: "deployments" }, space.deployments.map((d) => deploymentNode(space, d, d.deployment_key === freshKey)))
        : h("div", { class: "none", text: "No deployments yet." }),
      hidden > 0 ? h("div", { class: "more", text: `and ${hidden} older not shown (GET /_mock/state has all)` }) : null,
      space.retired.length
        ? h(
            "div",
            { class: "retired" },
            h("span", { class: "retired-label", text: "retired keys" }),
            space.retired.map((key) => h("span", { class: "retired-key", title: "deleted: this key can never be used again", data: { key }, text: key })),
            hiddenRetired > 0 ? h("span", { class: "more", text: `+${hiddenRetired} more` }) : null,
          )
        : null,
    );
  }

  function renderWorkspaces() {
    const container = $("workspaces");
    if (!view.workspaces.length) {
      container.replaceChildren(
        h(
          "div",
          { class: "empty" },
          h("strong", { text: "No workspaces" }),
          "Load a fixture file, or start the mock with ",
          h("code", { text: "--fixtures FILE" }),
          " or ",
          h("code", { text: "--token TOKEN=WORKSPACE" }),
          ".",
        ),
      );
    } else {
      container.replaceChildren(...view.workspaces.map((space) => workspaceNode(space)));
    }
    const shown = view.workspaces.length;
    $("workspaces-summary").textContent =
      shown < view.counts.workspaces ? `first ${shown} of ${view.counts.workspaces}` : "";
    renderCounts();
  }

  function rerenderWorkspace(space, freshKey) {
    const old = document.querySelector(`.workspace[data-workspace="${CSS.escape(space.name)}"]`);
    const node = workspaceNode(space, freshKey);
    if (old) old.replaceWith(node);
    else renderWorkspaces();
    renderCounts();
  }

  function workspaceNamed(name) {
    let space = view.workspaces.find((s) => s.name === name);
    if (!space) {
      space = { name, disabled: false, tokens: [], deployments: [], deployment_count: 0, retired: [], retired_count: 0 };
      view.workspaces.push(space);
      view.counts.workspaces += 1;
    }
    return space;
  }

  // -- journal -----------------------------------------------------------------------------

  function statusClass(status) {
    return `status status-${String(status).charAt(0)}`;
  }

  function queryText(query) {
    const pairs = Object.entries(query || {}).flatMap(([k, v]) => (Array.isArray(v) ? v.map((x) => [k, x]) : [[k, v]]));
    return pairs.length ? `?${pairs.map(([k, v]) => `${k}=${v}`).join("&")}` : "";
  }

  function violationItem(violation) {
    if (typeof violation === "string") return h("li", { text: violation });
    const rule = violation.rule || violation.rule_id || violation.id;
    const where = [violation.side, violation.operation].filter(Boolean).join(", ");
    return h("li", {}, rule ? h("code", { text: rule }) : null, rule ? " " : "", violation.message || JSON.stringify(violation), where ? ` (${where})` : "");
  }

  function detailRow(entry) {
    const facts = [
      ["message_code", entry.message_code || "none"],
      ["request id", entry.request_id],
      ["workspace", entry.workspace || "not authenticated"],
    ];
    const query = queryText(entry.query);
    if (query) facts.push(["query", query]);
    const body = entry.body === undefined ? null : entry.body;
    if (body === null) facts.push(["request body", "none"]);
    return h(
      "tr",
      { class: "detail" },
      h(
        "td",
        { colspan: "6" },
        h("dl", { class: "detail-grid" }, facts.flatMap(([name, value]) => [h("dt", { text: name }), h("dd", { text: String(value) })])),
        Array.isArray(entry.violations) && entry.violations.length
          ? h("ul", { class: "violations" }, entry.violations.map(violationItem))
          : null,
        body === null ? null : h("div", { class: "part-title body-title", text: "request body (masked)" }),
        body === null ? null : h("pre", { class: "body-view", text: typeof body === "string" ? body : JSON.stringify(body, null, 2) }),
      ),
    );
  }

  function entryRow(entry, fresh) {
    const violations = Array.isArray(entry.violations) ? entry.violations.length : 0;
    const row = h(
      "tr",
      {
        class: fresh ? "entry fresh" : "entry",
        data: { method: entry.method, path: entry.path, status: String(entry.status) },
        title: "Show the masked body and the answer's message_code",
      },
      h("td", { class: "col-time", text: clock(entry.time) }),
      h("td", { class: "col-method" }, h("span", { class: `method method-${entry.method}`, text: entry.method })),
      h(
        "td",
        { class: "col-path", title: entry.path + queryText(entry.query) },
        entry.path,
        h("span", { class: "query", text: queryText(entry.query) }),
        violations ? h("span", { class: "flag", text: `⚠ ${plural(violations, "violation")}` }) : null,
      ),
      h("td", { class: "col-status" }, h("span", { class: statusClass(entry.status), text: String(entry.status) })),
      h("td", { class: "col-workspace", text: entry.workspace || "–" }),
      h("td", { class: "col-duration", text: Number(entry.duration_ms).toFixed(1) }),
    );
    row.addEventListener("click", () => toggleDetail(row, entry));
    return row;
  }

  function toggleDetail(row, entry) {
    const next = row.nextElementSibling;
    const isOpen = next && next.classList.contains("detail");
    for (const open of document.querySelectorAll("#journal-rows tr.detail")) open.remove();
    for (const open of document.querySelectorAll("#journal-rows tr.entry.open")) open.classList.remove("open");
    view.openEntry = null;
    if (!isOpen) {
      row.classList.add("open");
      row.after(detailRow(entry));
      view.openEntry = entry;
    }
  }

  function renderJournalEmpty() {
    const empty = $("journal-empty");
    if (!view.connected) {
      empty.hidden = false;
      empty.replaceChildren(h("strong", { text: "Connecting to the mock…" }));
    } else if (view.journal.length) {
      empty.hidden = true;
    } else if (view.journalSize === 0) {
      empty.hidden = false;
      empty.replaceChildren(
        h("strong", { text: "The journal is off" }),
        "This mock was started with ",
        h("code", { text: "--journal-size 0" }),
        ", so requests are not recorded.",
      );
    } else {
      empty.hidden = false;
      empty.replaceChildren(
        h("strong", { text: "No requests yet" }),
        "Calls to the TANGO API show up here the moment they arrive, newest on top. Try:",
        h("br"),
        h("code", { text: `curl -H 'Authorization: Bearer <token>' ${location.origin}/api/deployment` }),
      );
    }
    $("journal-summary").textContent = view.journal.length ? `${view.journal.length} shown, newest first` : "";
  }

  function renderJournal() {
    $("journal-rows").replaceChildren(...view.journal.map((entry) => entryRow(entry, false)));
    view.openEntry = null;
    renderJournalEmpty();
  }

  function addEntry(entry) {
    view.journal.unshift(entry);
    const rows = $("journal-rows");
    rows.prepend(entryRow(entry, true));
    if (view.journal.length > MAX_ROWS) {
      const dropped = view.journal.pop();
      const last = rows.lastElementChild;
      if (last && last.classList.contains("detail")) last.remove();
      rows.lastElementChild?.remove();
      if (dropped === view.openEntry) view.openEntry = null;
    }
    renderJournalEmpty();
  }

  // -- faults ------------------------------------------------------------------------------

  function faultNode(rule, fresh) {
    const effect = [];
    if (rule.status !== null && rule.status !== undefined) effect.push(h("span", { class: statusClass(rule.status), text: String(rule.status) }));
    if (rule.delay_ms) effect.push(` after ${rule.delay_ms} ms`);
    if (rule.status === null || rule.status === undefined) effect.unshift("real answer");
    const left = rule.times === null || rule.times === undefined ? "until removed" : `${rule.times} left`;
    const remove = h("button", { type: "button", class: "icon-button", title: `Remove ${rule.id}`, "aria-label": `Remove ${rule.id}`, text: "×" });
    remove.addEventListener("click", () => removeFault(rule.id));
    const match = `${rule.method || "any"} ${rule.path}${rule.workspace ? ` in ${rule.workspace}` : ""}${rule.probability !== null && rule.probability !== undefined ? ` · p=${rule.probability}` : ""}`;
    return h(
      "li",
      { class: fresh ? "fault fresh" : "fault", data: { faultId: rule.id } },
      h("span", { class: "fault-id", text: rule.id }),
      h("span", { class: "fault-match", title: match, text: match }),
      h("span", { class: "fault-effect" }, "→ ", ...effect),
      h("span", { class: "fault-left", text: `${left} · ${plural(rule.hits, "hit")}` }),
      remove,
    );
  }

  function renderFaults(freshId) {
    $("faults").replaceChildren(...view.faults.map((rule) => faultNode(rule, rule.id === freshId)));
    const empty = $("faults-empty");
    empty.hidden = view.faults.length > 0 || !view.connected;
    empty.replaceChildren("No fault rules. Add one to make the matching API calls fail or slow down.");
    $("faults-summary").textContent = view.faults.length ? `${plural(view.faults.length, "rule")}, tried in order` : "";
  }

  // -- events ------------------------------------------------------------------------------

  function applySnapshot(snapshot) {
    view.connected = true;
    view.workspaces = snapshot.state.workspaces;
    view.counts = snapshot.state.counts;
    view.journal = snapshot.journal.entries.slice().reverse();
    view.journalSize = snapshot.journal.size;
    view.faults = snapshot.faults;
    renderWorkspaces();
    renderJournal();
    renderFaults();
  }

  const handlers = {
    snapshot(data) {
      applySnapshot(data);
      setConnection("live", "live");
    },
    state_reset(data) {
      applySnapshot(data.snapshot);
    },
    state_replaced(data) {
      applySnapshot(data.snapshot);
    },
    deployment_created({ workspace, deployment }) {
      const space = workspaceNamed(workspace);
      space.deployments = space.deployments.filter((d) => d.deployment_key !== deployment.deployment_key);
      space.deployments.push(deployment);
      if (space.deployments.length > SHOWN_DEPLOYMENTS) space.deployments.shift();
      space.deployment_count += 1;
      view.counts.deployments += 1;
      rerenderWorkspace(space, deployment.deployment_key);
    },
    deployment_deleted({ workspace, deployment_key }) {
      const space = workspaceNamed(workspace);
      space.deployments = space.deployments.filter((d) => d.deployment_key !== deployment_key);
      space.deployment_count = Math.max(0, space.deployment_count - 1);
      space.retired.push(deployment_key);
      if (space.retired.length > SHOWN_DEPLOYMENTS) space.retired.shift();
      space.retired_count += 1;
      view.counts.deployments = Math.max(0, view.counts.deployments - 1);
      view.counts.deleted_deployments += 1;
      rerenderWorkspace(space);
    },
    request(entry) {
      addEntry(entry);
    },
    journal_cleared() {
      view.journal = [];
      renderJournal();
    },
    fault_added({ rule }) {
      view.faults.push(rule);
      renderFaults(rule.id);
    },
    fault_hit({ rule }) {
      view.faults = rule.times === 0 ? view.faults.filter((r) => r.id !== rule.id) : view.faults.map((r) => (r.id === rule.id ? rule : r));
      renderFaults();
    },
    fault_removed({ id }) {
      view.faults = view.faults.filter((r) => r.id !== id);
      renderFaults();
    },
    faults_cleared() {
      view.faults = [];
      renderFaults();
    },
  };

  // One block of the stream ("event: x\ndata: {...}"); true when the server asks for a reload.
  function dispatch(block) {
    let kind = "message";
    const data = [];
    for (const line of block.split("\n")) {
      if (!line || line.startsWith(":")) continue; // comments are heartbeats
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? "" : line.slice(colon + 1);
      if (value.startsWith(" ")) value = value.slice(1);
      if (field === "event") kind = value;
      else if (field === "data") data.push(value);
    }
    if (!data.length) return false;
    if (kind === "reload") return true;
    const handler = handlers[kind];
    if (handler) handler(JSON.parse(data.join("\n")));
    return false;
  }

  function setConnection(state, text) {
    $("connection").dataset.state = state;
    $("connection-text").textContent = text;
  }

  // Read the stream until it ends: "reload", "lost", "busy", "off" or "token".
  async function follow() {
    let response;
    try {
      response = await fetch("/_mock/events", { headers: authHeaders({ Accept: "text/event-stream" }), cache: "no-store" });
    } catch {
      return "lost";
    }
    if (response.status === 401) return "token";
    if (response.status === 503) return "busy";
    if (response.status === 404) return "off";
    if (!response.ok || !response.body) return "lost";
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return "lost";
        buffer += value;
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (dispatch(block)) {
            reader.cancel().catch(() => {});
            return "reload";
          }
        }
      }
    } catch {
      return "lost";
    }
  }

  async function connect() {
    let delay = 500;
    for (;;) {
      const outcome = await follow();
      if (outcome === "token") {
        setConnection("connecting", "waiting for the admin token");
        await askToken(Boolean(sessionStorage.getItem(TOKEN_KEY)));
        continue;
      }
      if (outcome === "reload") {
        setConnection("reconnecting", "catching up");
        delay = 500;
        continue;
      }
      if (outcome === "off") setConnection("offline", "admin API off");
      else if (outcome === "busy") setConnection("busy", "too many dashboards open; retrying");
      else setConnection("offline", "disconnected; retrying");
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, RETRY_MAX_MS);
    }
  }

  // -- actions -----------------------------------------------------------------------------

  async function resetAll() {
    const { response, data } = await call("POST", "/_mock/reset");
    if (response.ok) showNotice("ok", "Reset.", "Every workspace is back to the seed; the journal and the fault rules are cleared.");
    else showNotice("error", "Reset failed.", data?.message || response.statusText);
  }

  async function resetWorkspace(name) {
    const { response, data } = await call("POST", `/_mock/reset?workspace=${encodeURIComponent(name)}`);
    if (response.ok) showNotice("ok", `Reset ${name}.`, "It is back to the seed; its journal entries and fault rules are cleared.");
    else showNotice("error", `Reset of ${name} failed.`, data?.message || response.statusText);
  }

  async function loadFixture(file) {
    const text = await file.text();
    const type = /\.json$/i.test(file.name) ? "application/json" : "application/yaml";
    const { response, data } = await call("PUT", "/_mock/state", { text, type });
    if (response.ok) {
      const c = data?.counts || {};
      showNotice("ok", `Loaded ${file.name}.`, `${plural(c.workspaces ?? 0, "workspace")}, ${plural(c.deployments ?? 0, "deployment")}, ${plural(c.deleted_deployments ?? 0, "retired key")}, ${plural(c.tokens ?? 0, "token")}.`);
    } else {
      const errors = data?.errors?.length ? data.errors : null; // field by field, else the message
      showNotice("error", `${file.name} was refused; nothing changed.`, errors ? "" : data?.message || response.statusText, errors);
    }
  }

  async function exportState() {
    const response = await fetch("/_mock/state?format=yaml", { headers: authHeaders(), cache: "no-store" });
    if (response.status === 401) {
      await askToken(true);
      return exportState();
    }
    if (!response.ok) {
      showNotice("error", "Export failed.", response.statusText);
      return;
    }
    const url = URL.createObjectURL(await response.blob());
    const link = h("a", { href: url, download: "tango-mock.state.yaml" });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    showNotice("ok", "Exported tango-mock.state.yaml.", "It holds the tokens and init values unmasked: keep it out of git.");
  }

  async function addFault(form) {
    const fields = new FormData(form);
    const rule = { path: String(fields.get("path") || "").trim() };
    const method = fields.get("method");
    if (method) rule.method = method;
    for (const name of ["status", "delay_ms", "times"]) {
      const raw = String(fields.get(name) || "").trim();
      if (raw) rule[name] = Number(raw);
    }
    const { response, data } = await call("POST", "/_mock/faults", { json: rule });
    const errors = $("fault-errors");
    if (response.ok) {
      errors.replaceChildren();
      return;
    }
    const items = data?.errors?.length ? data.errors : [{ field: "", message: data?.message || response.statusText }];
    errors.replaceChildren(...items.map((e) => h("li", { text: e.field ? `${e.field}: ${e.message}` : e.message })));
  }

  async function removeFault(id) {
    const { response, data } = await call("DELETE", `/_mock/faults/${encodeURIComponent(id)}`);
    if (!response.ok && response.status !== 404) showNotice("error", `Could not remove ${id}.`, data?.message || response.statusText);
  }

  // -- start -------------------------------------------------------------------------------

  function start() {
    $("notice-close").addEventListener("click", () => {
      $("notice").hidden = true;
    });
    confirmingButton($("reset-all"), "Click again to reset", resetAll);
    $("export-state").addEventListener("click", () => exportState());
    $("load-fixture").addEventListener("click", () => $("fixture-file").click());
    $("fixture-file").addEventListener("change", async (event) => {
      const [file] = event.target.files;
      event.target.value = "";
      if (file) await loadFixture(file);
    });
    $("fault-form").addEventListener("submit", (event) => {
      event.preventDefault();
      addFault(event.target);
    });
    $("workspaces").replaceChildren(h("div", { class: "empty", text: "Connecting to the mock…" }));
    renderCounts();
    renderJournalEmpty();
    renderFaults();
    connect();
  }

  start();
})();
