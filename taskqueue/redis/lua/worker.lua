-- ARGV[4] what, ARGV[5] worker id, then:
--   'register': [6] the record as JSON of text fields, [7] the message;
--   'beat': [6] running ids JSON, [7] rss MB or '', [8] status, [9] lease expiry;
--   'status': [6] status.
-- Replies how many leases a beat extended (0 otherwise).
local what, wid = ARGV[4], ARGV[5]
local key = P .. 'worker:' .. wid
if what == 'register' then
  local fields = {'started_at', NOW, 'heartbeat_at', NOW, 'running', '[]'}
  for name, value in pairs(cjson.decode(ARGV[6])) do
    fields[#fields + 1] = name
    fields[#fields + 1] = value
  end
  redis.call('DEL', key)
  redis.call('HSET', key, unpack(fields))
  redis.call('ZADD', P .. 'workers', NOW, wid)
  emit('workers', 'worker.started', ARGV[7])
  news()
  return 0
end
if what == 'status' then
  if redis.call('EXISTS', key) == 1 then redis.call('HSET', key, 'status', ARGV[6]) end
  news()
  return 0
end
if redis.call('EXISTS', key) == 1 then
  redis.call('HSET', key, 'heartbeat_at', NOW, 'running', ARGV[6], 'status', ARGV[8])
  if ARGV[7] == '' then redis.call('HDEL', key, 'rss_mb')
  else redis.call('HSET', key, 'rss_mb', ARGV[7]) end
end
local extended = 0
for _, id in ipairs(redis.call('SMEMBERS', P .. 'held:' .. wid)) do
  redis.call('HSET', task_key(id), 'lease_expires', ARGV[9])
  redis.call('ZADD', P .. 'running', ARGV[9], id)
  extended = extended + 1
end
news()
return extended
