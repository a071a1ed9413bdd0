/**
 * settle.lua: records how a batch of attempts ended, in one call. Each outcome is accepted only
 * from the current lease holder: the job must be active with the outcome's token (fencing).
 * Jobs that finish (succeeded, failed for good) count towards this second's throughput.
 *
 * KEYS[1] <base>leases, KEYS[2] <base>result-expiry, KEYS[3] <base>keys
 * plus <base>counts, and per job: <base>job:<id>, <base>ready:<q>, <base>scheduled:<q>,
 * <base>expiring:<q>, <base>finished:<state>, and <base>tp:<second> (throughput, expires after an hour)
 *
 * ARGV[1] base, ARGV[2] events channel, ARGV[3] number of outcomes n, then 5 fields per outcome,
 * then (optional) successes with no result and no result lifetime as one string of 'id\31token\31'
 * pairs. The 5 fields:
 *   id, token, kind, a, b where by kind:
 *   succeeded: a = result JSON ('' = none), b = resultExpiresAt ('' = keep)
 *   failed:    a = error JSON, b = retryAt ('' = failed for good)
 *   retry:     a = runAt (attempt counted, no error)
 *   released:  a = runAt ('' = now; attempt not counted)
 *   cancelled: a = error JSON ('' = none)
 * A workflow step that ends releases the steps waiting for it in this same call (lib run_steps).
 * Returns { 1 | 0 per outcome: the n first, then the packed ones }. Publishes once if any was accepted (after the ended jobs some
 * producer waits for went to their waiters' own channels: see watch-job.lua): 'settle' if a job
 * went back to wait or a workflow step became ready, else 'ended' (nothing for a claim to find) on
 * the quiet channel '<events channel>:quiet'.
 */
export const SETTLE = String.raw`
local now = now_ms()
local n = tonumber(ARGV[3])
local res = {}
local accepted = 0
local finished = {}
-- The hot path: a success of a job without a unique key or a result expiry is one HMGET and one
-- HSET; its lease and finished entries are written with one ZREM and one ZADD per
-- call; a workflow step's end is handed to run_steps, and a waited job's to tell_waiters, as
-- finish() would. Everything else goes through lib.lua's general transitions.
local unleased, done = {}, {}
-- Whether a job went back to wait (a retry, a release) or a workflow step became ready: then
-- workers should look ('settle'). Jobs that only ended give a claim nothing ('ended', on the quiet
-- channel: parked workers do not even receive it, producers and the UI do; see change-listener.ts).
local claimable = false
-- Per queue, the fast successes of this call: their counter moves are recorded once (count_fast).
local fast_done = {}
local function count_fast()
  for q, c in pairs(fast_done) do
    count(q, 'active', 0 - c)
    count(q, 'succeeded', c)
  end
  fast_done = {}
end
local function fast_success(id, token, a, v)
  if v[1] ~= 'active' or v[2] ~= token then return 0 end
  local k = jkey(id)
  if a ~= '' then
    redis.call('HSET', k, 'state', 'succeeded', 'finished_at', now, 'result', a)
  else
    redis.call('HSET', k, 'state', 'succeeded', 'finished_at', now)
    -- Only a workflow step can hold a result while it runs (a join's input, see workflow-lib).
    if v[5] then redis.call('HDEL', k, 'result') end
  end
  fast_done[v[3]] = (fast_done[v[3]] or 0) + 1
  unleased[#unleased + 1] = id
  done[#done + 1] = now
  done[#done + 1] = id
  finished[v[3]] = (finished[v[3]] or 0) + 1
  if v[5] and v[6] then ended_steps[#ended_steps + 1] = { 'succeeded', v[6] } end
  if v[7] then ended_waited[#ended_waited + 1] = { id, v[7] } end
  return 1
end

-- One outcome: 1 if accepted, 0 if refused (not the current lease), nil for an unknown kind.
local function settle_one(id, token, kind, a, b)
  local h = nil
  local ok = 0
  if kind == 'succeeded' and b == '' then
    local v = redis.call('HMGET', jkey(id), 'state', 'token', 'queue', 'key', 'workflow_id', 'next', 'waiters')
    if not v[4] then ok = fast_success(id, token, a, v) else h = load(id) end
  else
    h = load(id)
  end
  if h and h.state == 'active' and h.token == token then
    ok = 1
    if kind == 'succeeded' then
      finish(h, 'succeeded', now)
      if a ~= '' then put(h, 'result', a) else drop(h, 'result') end
      if b ~= '' then
        put(h, 'result_expires_at', b)
        redis.call('ZADD', B .. 'result-expiry', b, id)
      end
      finished[h.queue] = (finished[h.queue] or 0) + 1
    elseif kind == 'failed' then
      add_error(h, a)
      if b ~= '' then
        claimable = true
        unlease(h)
        to_waiting(h, 'scheduled', b)
      else
        finish(h, 'failed', now)
        finished[h.queue] = (finished[h.queue] or 0) + 1
      end
    elseif kind == 'retry' then
      claimable = true
      unlease(h)
      to_waiting(h, 'scheduled', a)
    elseif kind == 'released' then
      claimable = true
      local at = tonumber(a) or 0
      local run_at = h.run_at
      if at > tonumber(run_at) then run_at = a end
      local st = 'queued'
      if at > now then st = 'scheduled' end
      unlease(h)
      put(h, 'attempt', tonumber(h.attempt) - 1)
      drop(h, 'started_at')
      to_waiting(h, st, run_at)
    elseif kind == 'cancelled' then
      finish(h, 'cancelled', now)
      if a ~= '' then put(h, 'error', a) else drop(h, 'error') end
    else
      return nil
    end
    flush(h)
  end
  return ok
end

for i = 0, n - 1 do
  local o = 4 + i * 5
  local ok = settle_one(ARGV[o], ARGV[o + 1], ARGV[o + 2], ARGV[o + 3], ARGV[o + 4])
  if not ok then
    -- Checked by the broker before the call; nothing has been written for this outcome (the
    -- fast successes before it are, with their counts).
    count_fast()
    write_counts()
    return redis.error_reply('tq settle: unknown outcome kind ' .. ARGV[o + 2])
  end
  res[#res + 1] = ok
  accepted = accepted + ok
end
-- Successes with no result and no result lifetime, packed by the client as 'id\31token\31' pairs
-- in one argument: two strings a job to make rather than five arguments to receive.
local packed = ARGV[4 + n * 5]
if packed and packed ~= '' then
  for id, token in string.gmatch(packed, '([^\31]*)\31([^\31]*)\31') do
    local ok = settle_one(id, token, 'succeeded', '', '')
    res[#res + 1] = ok
    accepted = accepted + ok
  end
end
count_fast()
for j = 1, #unleased, 4000 do redis.call('ZREM', B .. 'leases', unpack(unleased, j, math.min(j + 3999, #unleased))) end
for j = 1, #done, 4000 do redis.call('ZADD', B .. 'finished:succeeded', unpack(done, j, math.min(j + 3999, #done))) end
local tp = B .. 'tp:' .. math.floor(now / 1000)
for q, c in pairs(finished) do
  redis.call('HINCRBY', tp, q, c)
  redis.call('EXPIRE', tp, 3700)
end
if run_steps(now) then claimable = true end
write_counts()
if accepted > 0 then
  if claimable then redis.call('PUBLISH', CHANNEL, 'settle') else redis.call('PUBLISH', CHANNEL .. ':quiet', 'ended') end
end
return res
`
