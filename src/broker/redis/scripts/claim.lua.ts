/**
 * claim.lua: promotes due scheduled jobs, expires waiting jobs past their deadline, then claims
 * up to `limit` ready jobs from the queues in order (paused queues skipped), each under a lease
 * with a fresh fencing token. Also reports the earliest scheduled run time of those queues, so an
 * idle worker needs no separate round trip to learn how long it may sleep.
 *
 * KEYS[1] <base>leases   zset active job id -> lease expiry (server ms)
 * KEYS[2] <base>paused   set of paused queues
 * plus, per queue: <base>scheduled:<q>, <base>ready:<q>, <base>expiring:<q>; <base>counts,
 * <base>finished:expired, <base>keys, and each job's <base>job:<id>
 *
 * ARGV[1] base, ARGV[2] events channel, ARGV[3] lease ms, ARGV[4] limit, ARGV[5] worker id,
 * ARGV[6] handed jobs the worker got from its inbox reader since its last claim ('id:token ...', '' = none),
 * ARGV[7..] queues
 * Returns { nextRunAt ('' = none), then one string per claimed job, its fields joined by \31:
 *   id, task, queue, attempt, max_attempts, token, priority, run_at, created_at, parent_id ('' = none),
 *   workflow_id ('' = none), headers ('' = none), payload; then, last, a list of the jobs it expired:
 *   id, task, queue, id, task, queue… }
 * A workflow step that expires here releases the steps waiting for it (lib run_steps).
 * Jobs already handed to this worker (its <base>inbox:<worker>) come first; a claim that leaves
 * slots free parks the worker on these queues, one that fills them unparks it (handoff-lib).
 */
export const CLAIM = String.raw`
-- A claimed job in the reply: one string, its fields joined by the unit separator (\31), the
-- payload last. One bulk string a job rather than 13: the client parses a claim of 250 jobs with
-- 250 strings. No field but the payload can hold \31 (ids and names are checked, numbers are
-- numbers, headers are JSON, which has no raw control characters), and the payload is the rest.
local function packed_job(id, task, q, attempt, max_attempts, token, priority, run_at, created_at, parent, workflow, headers, payload)
  return id .. '\31' .. task .. '\31' .. q .. '\31' .. attempt .. '\31' .. max_attempts .. '\31' .. token .. '\31' .. priority .. '\31' .. run_at .. '\31' .. created_at .. '\31' .. parent .. '\31' .. workflow .. '\31' .. headers .. '\31' .. payload
end

local now = now_ms()
local lease_until = now + tonumber(ARGV[3])
local limit = tonumber(ARGV[4])
local worker = ARGV[5]
local out = { '' }
local next_at = nil
local taken = 0
-- ZADD arguments for every claimed job's lease: one ZADD per call (in chunks: unpack's limit).
local leases = {}
local expired = {}

-- Jobs an enqueue handed to this worker (handoff-lib) that its inbox reader has not popped: they
-- are this claim's first, within its limit. One still leased to it under that token is returned
-- as claimed; one that moved on since (recovered, reaped) is dropped.
local inbox = B .. 'inbox:' .. worker
local handed = B .. 'handed:' .. worker
-- Handed jobs the worker has had from its reader since its last claim (ARGV[6]): delivered.
for m in string.gmatch(ARGV[6], '%S+') do redis.call('SREM', handed, m) end
if redis.call('LLEN', inbox) > 0 then
  for _, entry in ipairs(redis.call('LRANGE', inbox, 0, -1)) do
    local f = cjson.decode(entry)
    local v = type(f) == 'table' and redis.call('HMGET', jkey(f[1]), 'state', 'token', 'worker_id') or {}
    if type(f) == 'table' then redis.call('SREM', handed, f[1] .. ':' .. f[7]) end
    if v[1] == 'active' and v[2] == f[7] and v[3] == worker then
      out[#out + 1] = packed_job(f[1], f[2], f[3], f[5], f[6], f[7], f[8], f[9], f[10], f[11], f[12], f[13], f[4])
      taken = taken + 1
    end
  end
  redis.call('DEL', inbox)
end
-- The rest of <base>handed:<worker> are jobs its reader popped that the worker has not claimed
-- yet (on their way, or waiting in the broker for its next claim): they take slots of this one.
-- Members no longer leased to it under that token (recovered, reaped) are dropped.
if redis.call('SCARD', handed) > 0 then
  for _, m in ipairs(redis.call('SMEMBERS', handed)) do
    local id, tok = string.match(m, '^(.*):(%d+)$')
    local v = redis.call('HMGET', jkey(id), 'state', 'token', 'worker_id')
    if v[1] == 'active' and v[2] == tok and v[3] == worker then limit = limit - 1 else redis.call('SREM', handed, m) end
  end
end

local function expire(h)
  finish(h, 'expired', now)
  flush(h)
  expired[#expired + 1] = h.id
  expired[#expired + 1] = h.task
  expired[#expired + 1] = h.queue
end

for i = 7, #ARGV do
  local q = ARGV[i]
  -- Due scheduled jobs become queued (paused queues too: their counts stay true).
  local due = redis.call('ZRANGEBYSCORE', B .. 'scheduled:' .. q, '-inf', now, 'LIMIT', 0, 1000)
  for _, id in ipairs(due) do
    redis.call('ZREM', B .. 'scheduled:' .. q, id)
    local h = load(id)
    if h and h.state == 'scheduled' then
      set_state(h, 'queued')
      to_ready(h, h.run_at)
      flush(h)
    end
  end
  if taken < limit and redis.call('SISMEMBER', B .. 'paused', q) == 0 then
    -- Waiting jobs past their deadline expire instead of running.
    local late = redis.call('ZRANGEBYSCORE', B .. 'expiring:' .. q, '-inf', now, 'LIMIT', 0, 1000)
    for _, id in ipairs(late) do
      local h = load(id)
      if h and (h.state == 'queued' or h.state == 'scheduled') then
        expire(h)
      else
        redis.call('ZREM', B .. 'expiring:' .. q, id)
      end
    end
    -- The hot path, per job: one HMGET, one HSET and the output. No per-job tables (lib.lua's
    -- load/put/flush build three a job); counts and the leases ZADD are written once per call.
    local claimed = 0
    while taken < limit do
      local popped = redis.call('ZPOPMIN', B .. 'ready:' .. q, limit - taken)
      if #popped == 0 then break end
      for j = 1, #popped, 2 do
        local member = popped[j]
        local id = string.sub(member, 35)
        local k = jkey(id)
        local v = redis.call('HMGET', k, 'state', 'run_at', 'seq', 'expires_at', 'attempt', 'token', 'task', 'priority', 'parent_id', 'payload', 'max_attempts', 'created_at', 'workflow_id', 'headers')
        -- ZPOPMIN took it out of the ready set already; a member that no longer matches the job
        -- (requeued with another run time since) is a stale entry and is just dropped.
        -- (ready_member's fields read back from the member: cheaper than formatting it again. Its
        -- %016d drops a fraction of a millisecond, which a run time may have: floor the same way.)
        if v[1] == 'queued' and tonumber(string.sub(member, 18, 33)) == tonumber(v[3]) and tonumber(string.sub(member, 1, 16)) == math.floor(math.max(tonumber(v[2]) or 0, 0)) then
          if v[4] and tonumber(v[4]) <= now then
            expire(load(id))
          else
            local attempt = (tonumber(v[5]) or 0) + 1
            local token = math.max((tonumber(v[6]) or 0) + 1, now) -- see FENCING in lib.lua
            if v[4] then redis.call('ZREM', B .. 'expiring:' .. q, id) end
            redis.call('HSET', k, 'state', 'active', 'attempt', attempt, 'token', token, 'started_at', now, 'worker_id', worker)
            leases[#leases + 1] = lease_until
            leases[#leases + 1] = id
            out[#out + 1] = packed_job(id, v[7], q, attempt, v[11], token, v[8], v[2], v[12], v[9] or '', v[13] or '', v[14] or '', v[10])
            claimed = claimed + 1
            taken = taken + 1
          end
        end
      end
    end
    if claimed > 0 then
      count(q, 'queued', -claimed)
      count(q, 'active', claimed)
    end
  end
  local first = redis.call('ZRANGE', B .. 'scheduled:' .. q, 0, 0, 'WITHSCORES')
  if first[2] and (next_at == nil or tonumber(first[2]) < tonumber(next_at)) then next_at = first[2] end
end
if next_at then out[1] = next_at end
for i = 1, #leases, 2000 do
  redis.call('ZADD', B .. 'leases', unpack(leases, i, math.min(i + 1999, #leases)))
end
if run_steps(now) then redis.call('PUBLISH', CHANNEL, 'claim') end
out[#out + 1] = expired
-- Parking (handoff-lib): queues drained with slots to spare, so enqueues to them may hand their
-- jobs straight to this worker until its next claim; a claim that filled its limit unparks it.
local parked_queues = redis.call('HGET', B .. 'park:' .. worker, 'q')
if taken < limit then
  if parked_queues then unpark(worker, parked_queues) end
  local qs = {}
  for i = 7, #ARGV do
    qs[#qs + 1] = ARGV[i]
    redis.call('ZADD', B .. 'parked:' .. ARGV[i], now, worker)
  end
  redis.call('HSET', B .. 'park:' .. worker, 'n', limit - taken, 'lease', ARGV[3], 'at', now, 'q', table.concat(qs, ' '))
elseif parked_queues then
  unpark(worker, parked_queues)
end
write_counts()
return out
`
