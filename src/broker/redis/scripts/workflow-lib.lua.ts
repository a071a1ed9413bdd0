/**
 * workflow-lib.lua: the workflow rules of src/broker/workflow.ts in Lua, appended to lib.lua (so
 * every script with `lib: true` has them). It uses lib.lua's helpers (load, put, flush, finish,
 * cancel_job, count) and its `ended_steps`, which finish() fills: a script that may end jobs calls
 * run_steps(now) before write_counts(), so the steps waiting for them move in the same atomic step.
 */
export const WORKFLOW_LIB = String.raw`
-- ---- workflows: the rules of src/broker/workflow.ts, in Lua ------------------------------

local STEP_FIELDS = with_fields({ 'depends_on', 'input', 'on_dep_failure', 'is_join', 'delay_ms' })

-- The dependencies of a step, in order: { id, task, state, result, error } (false when absent).
local function dep_outcomes(depends_on)
  local out = {}
  for i, id in ipairs(cjson.decode(depends_on)) do
    local v = redis.call('HMGET', jkey(id), 'task', 'state', 'result', 'error')
    out[i] = { id = id, task = v[1] or '', state = v[2] or 'expired', result = v[3], error = v[4] }
  end
  return out
end

local function outcome_json(d)
  if d.state == 'succeeded' then return '{"ok":true,"value":' .. (d.result or 'null') .. '}' end
  return '{"ok":false,"id":' .. cjson.encode(d.id) .. ',"state":"' .. d.state .. '","error":' .. (d.error or 'null') .. '}'
end

-- buildInput: the pieces concatenated, indexes (0-based) replaced by results or, under 'run', outcomes.
local function build_input(pieces, deps, rule)
  local parts = {}
  for _, p in ipairs(pieces) do
    if type(p) == 'string' then
      parts[#parts + 1] = p
    else
      local d = deps[p + 1]
      if rule == 'run' then parts[#parts + 1] = outcome_json(d) else parts[#parts + 1] = d.result or 'null' end
    end
  end
  return table.concat(parts)
end

local function outcomes_json(deps)
  local parts = {}
  for i, d in ipairs(deps) do parts[i] = outcome_json(d) end
  return '[' .. table.concat(parts, ',') .. ']'
end

-- ISO 8601 from epoch ms (Redis's Lua has no os.date): days to civil date, after H. Hinnant.
local function iso(ms)
  local s = math.floor(ms / 1000)
  local days = math.floor(s / 86400)
  local rem = s - days * 86400
  local z = days + 719468
  local era = math.floor(z / 146097)
  local doe = z - era * 146097
  local yoe = math.floor((doe - math.floor(doe / 1460) + math.floor(doe / 36524) - math.floor(doe / 146096)) / 365)
  local doy = doe - (365 * yoe + math.floor(yoe / 4) - math.floor(yoe / 100))
  local mp = math.floor((5 * doy + 2) / 153)
  local d = doy - math.floor((153 * mp + 2) / 5) + 1
  local m = mp + 3
  if mp >= 10 then m = mp - 9 end
  local y = yoe + era * 400
  if m <= 2 then y = y + 1 end
  return string.format('%04d-%02d-%02dT%02d:%02d:%02d.%03dZ', y, m, d, math.floor(rem / 3600), math.floor(rem % 3600 / 60), rem % 60, ms % 1000)
end

-- dependencyError: names the dependencies that did not succeed (at most 10, then 'and N more').
local function dependency_error(deps, now)
  local bad = {}
  for _, d in ipairs(deps) do if d.state ~= 'succeeded' then bad[#bad + 1] = d end end
  local named = {}
  for i = 1, math.min(#bad, 10) do
    local d = bad[i]
    local why = ''
    if d.error then
      local ok, e = pcall(cjson.decode, d.error)
      if ok and type(e) == 'table' and type(e.message) == 'string' and e.message ~= '' then why = ': ' .. e.message end
    end
    named[i] = d.id .. ' (' .. d.task .. ') ' .. d.state .. why
  end
  local lead = 'a step it waits for did not succeed'
  if #bad ~= 1 then lead = #bad .. ' of the ' .. #deps .. ' steps it waits for did not succeed' end
  local more = ''
  if #bad > 10 then more = '; and ' .. (#bad - 10) .. ' more' end
  return cjson.encode({ name = 'DependencyFailed', message = lead .. ': ' .. table.concat(named, '; ') .. more, at = iso(now) })
end

-- resolveStep: a step whose last dependency ended becomes ready, or ends by its rule.
-- Returns true when it became ready (workers should look).
local function resolve_step(h, now)
  local deps = dep_outcomes(h.depends_on)
  local failed = false
  for _, d in ipairs(deps) do if d.state ~= 'succeeded' then failed = true end end
  local rule = h.on_dep_failure
  local ready = false
  if not failed or rule == 'run' then
    local input = nil
    if h.input then input = build_input(cjson.decode(h.input), deps, rule) end
    if h.is_join == '1' then
      finish(h, 'succeeded', now)
      put(h, 'result', input or 'null')
    else
      if input then put(h, 'payload', input) end
      unwait(h)
      local run_at = now + (tonumber(h.delay_ms) or 0)
      h.state = 'waiting'
      if run_at > now then to_waiting(h, 'scheduled', run_at) else to_waiting(h, 'queued', run_at) end
      ready = true
    end
  else
    local err = dependency_error(deps, now)
    local to = 'failed'
    if rule == 'cancel' then to = 'cancelled' end
    finish(h, to, now)
    add_error(h, err)
    put(h, 'by_dep', 1)
    if h.is_join == '1' then put(h, 'result', outcomes_json(deps)) end
  end
  flush(h)
  return ready
end

-- Releases the steps waiting for the jobs that ended in this script (ended_steps), and on down
-- the graph from each step that ended in turn. Call before write_counts(). Returns whether a
-- step became ready.
local function run_steps(now)
  local woke = false
  while #ended_steps > 0 do
    -- One count-down per waiting step, by how many of the jobs it waits for ended in this round:
    -- a settle of 200 header jobs writes the chord body's counter once, not 200 times.
    local order, down = {}, {}
    for _, ended in ipairs(ended_steps) do
      local failed = 0
      if ended[1] ~= 'succeeded' then failed = 1 end
      for _, nid in ipairs(cjson.decode(ended[2])) do
        local d = down[nid]
        if d then
          d[1] = d[1] + 1
          d[2] = d[2] + failed
        else
          down[nid] = { 1, failed }
          order[#order + 1] = nid
        end
      end
    end
    -- Steps that end by the rules below add to ended_steps: the next round.
    ended_steps = {}
    for _, nid in ipairs(order) do
      local k = jkey(nid)
      if redis.call('HGET', k, 'state') == 'waiting' then
        local d = down[nid]
        if d[2] > 0 then redis.call('HINCRBY', k, 'dep_failed', d[2]) end
        if redis.call('HINCRBY', k, 'pending', 0 - d[1]) <= 0 then
          if resolve_step(load(nid, STEP_FIELDS), now) then woke = true end
        end
      end
    end
  end
  return woke
end

-- Cancels every step of a workflow that has not ended: those not started at once, running ones
-- flagged for their worker. Appends to the given lists.
local function cancel_workflow(wf, now, cancelled, aborting)
  local err = cjson.encode({ name = 'Cancelled', message = 'the workflow was cancelled', at = iso(now) })
  for _, id in ipairs(redis.call('ZRANGE', B .. 'workflow:' .. wf, 0, -1)) do
    cancel_job(load(id), now, err, cancelled, aborting)
  end
end

-- A retried step runs again, and so do the steps that ended because of it (by_dep), on down the
-- graph: each of these jobs left a final state. Three passes, so no counter depends on the order
-- the graph is walked in: (1) find the steps to bring back, (2) move them to waiting, (3) recount
-- theirs from their dependencies' states now, and count every job that left a final state as not
-- ended again in the steps that were already waiting for it.
local function resume_steps(id)
  -- One entry in 'waiting' per edge from a job that left a final state to a step already waiting for it.
  local moved, back, is_back, waiting = { id }, {}, {}, {}
  local i = 1
  while i <= #moved do
    local nx = redis.call('HGET', jkey(moved[i]), 'next')
    for _, nid in ipairs(nx and cjson.decode(nx) or {}) do
      if not is_back[nid] then
        local h = load(nid, with_fields({ 'depends_on', 'by_dep' }))
        if h and h.state == 'waiting' then waiting[#waiting + 1] = nid end
        if h and h.by_dep == '1' and FINAL[h.state] then
          is_back[nid] = true
          back[#back + 1] = h
          moved[#moved + 1] = nid
        end
      end
    end
    i = i + 1
  end
  for _, h in ipairs(back) do
    redis.call('ZREM', B .. 'finished:' .. h.state, h.id)
    for _, f in ipairs({ 'finished_at', 'error', 'result', 'by_dep' }) do drop(h, f) end
    set_state(h, 'waiting')
    redis.call('ZADD', B .. 'waiting:' .. h.queue, h.seq, h.id)
    flush(h)
  end
  for _, h in ipairs(back) do
    local pending, dep_failed = 0, 0
    for _, d in ipairs(dep_outcomes(h.depends_on)) do
      if not FINAL[d.state] then pending = pending + 1 elseif d.state ~= 'succeeded' then dep_failed = dep_failed + 1 end
    end
    redis.call('HSET', jkey(h.id), 'pending', pending, 'dep_failed', dep_failed)
  end
  for _, nid in ipairs(waiting) do
    local k = jkey(nid)
    redis.call('HINCRBY', k, 'pending', 1)
    if (tonumber(redis.call('HGET', k, 'dep_failed')) or 0) > 0 then redis.call('HINCRBY', k, 'dep_failed', -1) end
  end
end
`
