/**
 * counts.lua (read only): job counts by queue and state, from the cardinalities of the
 * per-(state, queue) sets (no scans), and whether each queue is paused.
 *
 * KEYS[1] <base>queues, KEYS[2] <base>paused; plus <base>state:<state>:<q>
 * ARGV[1] base, ARGV[2] events channel
 * Returns per queue { queue, paused (0/1), scheduled, queued, active, succeeded, failed, cancelled, expired }.
 */
export const COUNTS = String.raw`
local STATES = { 'scheduled', 'queued', 'active', 'succeeded', 'failed', 'cancelled', 'expired' }
local out = {}
for _, q in ipairs(redis.call('SMEMBERS', B .. 'queues')) do
  local row = { q, redis.call('SISMEMBER', B .. 'paused', q) }
  for _, s in ipairs(STATES) do row[#row + 1] = redis.call('ZCARD', B .. 'state:' .. s .. ':' .. q) end
  out[#out + 1] = row
end
return out
`
