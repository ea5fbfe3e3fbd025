-- Tasks as one consistent read: ARGV[4] 'session' (ARGV[5] its id: its tasks by id) or
-- 'task' (ARGV[5] one id). Replies a list of `dump`s.
local ids
if ARGV[4] == 'session' then
  ids = redis.call('ZRANGE', P .. 'tasks:' .. ARGV[5], 0, -1)
elseif redis.call('EXISTS', task_key(ARGV[5])) == 1 then
  ids = {ARGV[5]}
else
  ids = {}
end
local out = {}
for i, id in ipairs(ids) do out[i] = dump(id) end
return out
