/**
 * renew.lua: extends the leases of running jobs, from now (server clock). A lease is renewed
 * only for the current holder (job active with that token); the others are reported lost. The
 * expiry lives only in <base>leases.
 *
 * KEYS[1] <base>leases; plus <base>job:<id> per lease
 *
 * ARGV[1] base, ARGV[2] events channel, ARGV[3] lease ms, then pairs id, token
 * Returns { lost ids, ids asked to cancel }.
 */
export const RENEW = String.raw`
local lease_until = now_ms() + tonumber(ARGV[3])
local lost, cancel = {}, {}
for i = 4, #ARGV, 2 do
  local id, token = ARGV[i], ARGV[i + 1]
  local v = redis.call('HMGET', jkey(id), 'state', 'token', 'cancel_requested')
  if v[1] == 'active' and v[2] == token then
    redis.call('ZADD', B .. 'leases', lease_until, id)
    if v[3] == '1' then cancel[#cancel + 1] = id end
  else
    lost[#lost + 1] = id
  end
end
return { lost, cancel }
`
