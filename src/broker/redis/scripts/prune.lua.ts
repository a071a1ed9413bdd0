/**
 * prune.lua: retention. Deletes succeeded, cancelled and expired jobs finished before one
 * time, failed jobs finished before another, at most `batch` per call (the broker calls again
 * while `more` is 1); and drops results past their expiry.
 *
 * KEYS[1] <base>finished:succeeded, KEYS[2] <base>finished:cancelled, KEYS[3] <base>finished:expired,
 * KEYS[4] <base>finished:failed, KEYS[5] <base>result-expiry
 * plus every index a deleted job is in (see lib del_job)
 *
 * ARGV[1] base, ARGV[2] events channel, ARGV[3] finishedBefore ('' = keep), ARGV[4] failedBefore ('' = keep), ARGV[5] batch
 * Returns { deleted, more }.
 */
export const PRUNE = String.raw`
local now = now_ms()
local batch = tonumber(ARGV[5])
local n = 0
local function prune_state(state, before)
  if before == '' or n >= batch then return end
  local ids = redis.call('ZRANGEBYSCORE', B .. 'finished:' .. state, '-inf', '(' .. before, 'LIMIT', 0, batch - n)
  for _, id in ipairs(ids) do
    if del_job(id) == 1 then n = n + 1 else redis.call('ZREM', B .. 'finished:' .. state, id) end
  end
end
prune_state('succeeded', ARGV[3])
prune_state('cancelled', ARGV[3])
prune_state('expired', ARGV[3])
prune_state('failed', ARGV[4])
local expired = redis.call('ZRANGEBYSCORE', B .. 'result-expiry', '-inf', now, 'LIMIT', 0, batch)
for _, id in ipairs(expired) do
  redis.call('HDEL', jkey(id), 'result', 'result_expires_at')
  redis.call('ZREM', B .. 'result-expiry', id)
end
write_counts()
local more = 0
if n >= batch or #expired >= batch then more = 1 end
return { n, more }
`
