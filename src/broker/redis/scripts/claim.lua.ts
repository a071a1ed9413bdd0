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
 * ARGV[1] base, ARGV[2] events channel, ARGV[3] lease ms, ARGV[4] limit, ARGV[5] worker id, ARGV[6..] queues
 * Returns { nextRunAt ('' = none), then 13 fields per claimed job:
 *   id, task, queue, payload, attempt, max_attempts, token, priority, run_at, created_at, parent_id ('' = none),
 *   workflow_id ('' = none), headers ('' = none); then, last, a list of the jobs it expired:
 *   id, task, queue, id, task, queue… }
 * A workflow step that expires here releases the steps waiting for it (lib run_steps).
 */
export const CLAIM = String.raw`
local now = now_ms()
local lease_until = now + tonumber(ARGV[3])
local limit = tonumber(ARGV[4])
local worker = ARGV[5]
local out = { '' }
local next_at = nil
local taken = 0
local CLAIM_FIELDS = with_fields({ 'payload', 'max_attempts', 'created_at', 'headers' })
local expired = {}

local function expire(h)
  finish(h, 'expired', now)
  flush(h)
  expired[#expired + 1] = h.id
  expired[#expired + 1] = h.task
  expired[#expired + 1] = h.queue
end

for i = 6, #ARGV do
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
    while taken < limit do
      local popped = redis.call('ZPOPMIN', B .. 'ready:' .. q, limit - taken)
      if #popped == 0 then break end
      for j = 1, #popped, 2 do
        local h = load(string.sub(popped[j], 35), CLAIM_FIELDS)
        if h and h.state == 'queued' and ready_member(h.id, h.run_at, h.seq) == popped[j] then
          -- ZPOPMIN took it out of the ready set already.
          if h.expires_at and tonumber(h.expires_at) <= now then
            expire(h)
          else
            local attempt = tonumber(h.attempt) + 1
            local token = tonumber(h.token) + 1
            if h.expires_at then redis.call('ZREM', B .. 'expiring:' .. q, h.id) end
            set_state(h, 'active')
            put(h, 'attempt', attempt); put(h, 'token', token); put(h, 'started_at', now)
            put(h, 'lease_until', lease_until); put(h, 'worker_id', worker)
            flush(h)
            redis.call('ZADD', B .. 'leases', lease_until, h.id)
            out[#out + 1] = h.id
            out[#out + 1] = h.task
            out[#out + 1] = q
            out[#out + 1] = h.payload
            out[#out + 1] = attempt
            out[#out + 1] = h.max_attempts
            out[#out + 1] = token
            out[#out + 1] = h.priority
            out[#out + 1] = h.run_at
            out[#out + 1] = h.created_at
            out[#out + 1] = h.parent_id or ''
            out[#out + 1] = h.workflow_id or ''
            out[#out + 1] = h.headers or ''
            taken = taken + 1
          end
        end
      end
    end
  end
  local first = redis.call('ZRANGE', B .. 'scheduled:' .. q, 0, 0, 'WITHSCORES')
  if first[2] and (next_at == nil or tonumber(first[2]) < tonumber(next_at)) then next_at = first[2] end
end
if next_at then out[1] = next_at end
if run_steps(now) then redis.call('PUBLISH', CHANNEL, 'claim') end
out[#out + 1] = expired
write_counts()
return out
`
