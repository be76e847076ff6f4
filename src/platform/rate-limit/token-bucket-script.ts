/**
 * `takeTokens` (token-bucket.ts) as one Redis Lua script, so that the read-refill-write of a
 * bucket is atomic however many Tessera processes share it. Keep the arithmetic in the same
 * order as the TypeScript: both stores must reach the same doubles.
 *
 * The time comes from `redis.call('TIME')`: every process then reads one clock, so skewed hosts
 * cannot hand out extra tokens. (Redis ≥ 5 replicates a script's effects, not the script, so a
 * non-deterministic TIME before a write is safe.) ARGV[6] overrides it for tests only.
 *
 * KEYS[1]  the bucket, a hash {t = tokens, u = updated at, ms}
 * ARGV     ratePerSecond, burst, cost, take ('1') or peek ('0'), TTL slack ms, [now ms]
 * Returns  {1 if allowed else 0, tokens left as a string (Lua numbers become integers in replies)}
 */
export const TOKEN_BUCKET_LUA = `
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local take = ARGV[4] == '1'
local slack = tonumber(ARGV[5])
local now = ARGV[6] and tonumber(ARGV[6])
if not now then
  local time = redis.call('TIME')
  now = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
end
local tokens = burst
local stored = redis.call('HMGET', KEYS[1], 't', 'u')
local storedTokens, updatedAt = tonumber(stored[1]), tonumber(stored[2])
if storedTokens and updatedAt then
  tokens = math.min(burst, storedTokens + (math.max(0, now - updatedAt) * rate) / 1000)
end
local allowed = tokens >= cost - 1e-9
if allowed then tokens = math.max(0, tokens - cost) end
if take then
  redis.call('HSET', KEYS[1], 't', string.format('%.17g', tokens), 'u', string.format('%.17g', now))
  -- Once full, a bucket is as good as absent: expire it then (plus slack for rounding).
  redis.call('PEXPIRE', KEYS[1], string.format('%d', math.ceil((burst - tokens) * 1000 / rate) + slack))
end
return { allowed and 1 or 0, string.format('%.17g', tokens) }
`;
