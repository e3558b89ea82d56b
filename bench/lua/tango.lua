-- wrk script of the tango-mock benchmark: one scenario per run, picked by the first argument.
-- Mirrors bench/scenarios.py (the Python loader) request for request; keep the two in step.
--
--   wrk ... -s bench/lua/tango.lua URL -- list   TOKEN
--   wrk ... -s bench/lua/tango.lua URL -- get    TOKEN KEY
--   wrk ... -s bench/lua/tango.lua URL -- create TOKEN PREFIX          (keys PREFIX-0, -1, ...)
--   wrk ... -s bench/lua/tango.lua URL -- delete TOKEN PREFIX          (deletes those keys)
--   wrk ... -s bench/lua/tango.lua URL -- mix    TOKEN KEY MIX_TOKEN PREFIX
--   wrk ... -s bench/lua/tango.lua URL -- scale-get    TOKEN COUNT     (random keys d-0..)
--   wrk ... -s bench/lua/tango.lua URL -- scale-delete WORKSPACES      (tokens tok-1.., keys d-0..)
--
-- done() prints one line "BENCH_JSON {...}" with counts and latency percentiles (microseconds).

local COLLECTION = "/api/deployment"
local PAYLOAD = '{"deployment_key":"%s",'
  .. '"registry_connector_class":"tango_shared.connectors.deployment.mlflow_registry_connector.'
  .. 'MlflowModelRegistryConnector","registry_connector_init":{"model_registry_url":'
  .. '"http://mlflow.example.com:5000","tracking_server_url":"http://mlflow.example.com:5000"},'
  .. '"server_proxy_class":"tango_shared.connectors.deployment.mlflow_server_proxy.'
  .. 'MlflowModelServerProxy","server_proxy_init":{"server_proxy_url":'
  .. '"http://mlflow-serving.example.com:8080"}}'

local mode, counter = nil, 0
local read_headers, write_headers, json_headers, key, prefix, count, scale_headers

local function bearer(token)
  return { ["Authorization"] = "Bearer " .. token }
end

local function create_request(headers, new_key)
  return wrk.format("POST", COLLECTION, headers, string.format(PAYLOAD, new_key))
end

local function item(k)
  return COLLECTION .. "/" .. k
end

function init(args)
  mode = args[1]
  read_headers = bearer(args[2])
  if mode == "get" or mode == "mix" then
    key = args[3]
  end
  if mode == "create" or mode == "delete" then
    write_headers, prefix = read_headers, args[3]
  end
  if mode == "mix" then
    write_headers, prefix = bearer(args[4]), args[5]
  end
  if write_headers then
    json_headers = { ["Authorization"] = write_headers["Authorization"],
                     ["Content-Type"] = "application/json" }
  end
  if mode == "scale-get" then
    count = tonumber(args[3])
    math.randomseed(12345)
  end
  if mode == "scale-delete" then
    count = tonumber(args[2])
    scale_headers = {}
    for w = 1, count do
      scale_headers[w] = bearer("tok-" .. w)
    end
  end
end

-- The mix, per cycle of 20 requests: 10 get, 4 list, 3 create, 3 delete (of keys created
-- three cycles earlier, so never of a key whose create may still be in flight).
local CREATE_SLOTS = { [0] = 0, [7] = 1, [14] = 2 }
local DELETE_SLOTS = { [3] = 0, [10] = 1, [17] = 2 }
local LIST_SLOTS = { [5] = true, [9] = true, [12] = true, [19] = true }

local function mix_request(i)
  local slot, cycle = i % 20, math.floor(i / 20)
  if CREATE_SLOTS[slot] then
    return create_request(json_headers, prefix .. "-" .. (cycle * 3 + CREATE_SLOTS[slot]))
  end
  if DELETE_SLOTS[slot] and cycle >= 3 then
    return wrk.format("DELETE", item(prefix .. "-" .. ((cycle - 3) * 3 + DELETE_SLOTS[slot])),
                      write_headers)
  end
  if LIST_SLOTS[slot] then
    return wrk.format("GET", COLLECTION, read_headers)
  end
  return wrk.format("GET", item(key), read_headers)
end

-- wrk calls request() once before the run, only to check the request parses (thread 0's
-- script); that call gets a harmless GET, so real request numbers start at 0 as in the Python
-- loader (otherwise key PREFIX-0 would never be created, and the mix's first delete 404s).
local checked = false

function request()
  if not checked then
    checked = true
    return wrk.format("GET", COLLECTION, read_headers)
  end
  local i = counter
  counter = counter + 1
  if mode == "list" then
    return wrk.format("GET", COLLECTION, read_headers)
  elseif mode == "get" then
    return wrk.format("GET", item(key), read_headers)
  elseif mode == "create" then
    return create_request(json_headers, prefix .. "-" .. i)
  elseif mode == "delete" then
    return wrk.format("DELETE", item(prefix .. "-" .. i), write_headers)
  elseif mode == "mix" then
    return mix_request(i)
  elseif mode == "scale-get" then
    return wrk.format("GET", item("d-" .. math.random(0, count - 1)), read_headers)
  elseif mode == "scale-delete" then
    local w = i % count + 1
    return wrk.format("DELETE", item("d-" .. math.floor(i / count)), scale_headers[w])
  end
  error("unknown mode " .. tostring(mode))
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"status_errors":%d,"socket_errors":%d,'
      .. '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    latency.mean))
end
