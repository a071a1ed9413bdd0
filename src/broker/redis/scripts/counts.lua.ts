/**
 * counts.lua (read only): job counts by queue and state, read from the counters the writing
 * scripts keep (no scans), and whether each queue is paused.
 *
 * KEYS[1] <base>queues, KEYS[2] <base>paused; plus <base>counts (field '<state>:<queue>')
 * ARGV[1] base, ARGV[2] events channel
 * Returns per queue { queue, paused (0/1), waiting, scheduled, queued, active, succeeded, failed, cancelled, expired }.
 */
export const COUNTS = String.raw`
local STATES = { 'waiting', 'scheduled', 'queued', 'active', 'succeeded', 'failed', 'cancelled', 'expired' }
local kept = {}
local flat = redis.call('HGETALL', B .. 'counts')
for i = 1, #flat, 2 do kept[flat[i]] = tonumber(flat[i + 1]) end
local out = {}
for _, q in ipairs(redis.call('SMEMBERS', B .. 'queues')) do
  local row = { q, redis.call('SISMEMBER', B .. 'paused', q) }
  for _, s in ipairs(STATES) do row[#row + 1] = kept[s .. ':' .. q] or 0 end
  out[#out + 1] = row
end
return out
`
