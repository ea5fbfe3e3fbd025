-- Take a call slot: ARGV[4] holder, [5] max concurrent or '', [6] per minute or '',
-- [7] slot expiry, [8] owner (a worker id) or '', [9] the start of the rate window.
-- Replies {'ok'}, {'slots', first expiry} or {'rate', oldest request time}.
local holder, max_concurrent, per_minute = ARGV[4], tonumber(ARGV[5]), tonumber(ARGV[6])
local expires, owner, window_start = ARGV[7], ARGV[8], ARGV[9]
local slots, owners, requests = P .. 'llm:slots', P .. 'llm:owners', P .. 'llm:requests'

-- Slots expire after their lease, or at once when their worker stopped or died.
for _, gone in ipairs(redis.call('ZRANGEBYSCORE', slots, '-inf', NOW)) do
  redis.call('ZREM', slots, gone)
  redis.call('HDEL', owners, gone)
end
local held_by = redis.call('HGETALL', owners)
for i = 1, #held_by, 2 do
  local status = redis.call('HGET', P .. 'worker:' .. held_by[i + 1], 'status')
  if status == 'stopped' or status == 'dead' then
    redis.call('ZREM', slots, held_by[i])
    redis.call('HDEL', owners, held_by[i])
  end
end
redis.call('ZREMRANGEBYSCORE', requests, '-inf', window_start)

if redis.call('ZSCORE', slots, holder) then
  redis.call('ZADD', slots, expires, holder)
  return {'ok'}
end
if max_concurrent and redis.call('ZCARD', slots) >= max_concurrent then
  return {'slots', redis.call('ZRANGE', slots, 0, 0, 'WITHSCORES')[2]}
end
if per_minute and redis.call('ZCARD', requests) >= per_minute then
  return {'rate', redis.call('ZRANGE', requests, 0, 0, 'WITHSCORES')[2]}
end
redis.call('ZADD', slots, expires, holder)
if owner ~= '' then redis.call('HSET', owners, holder, owner) end
redis.call('ZADD', requests, NOW, redis.call('INCR', P .. 'seq:llm_request'))
return {'ok'}
