-- ARGV[4] 'publish' ([5] channel, [6] kind, [7] body JSON; replies the id) or 'prune'
-- ([5] the time before which messages go; replies how many went).
if ARGV[4] == 'publish' then
  local id = emit(ARGV[5], ARGV[6], ARGV[7])
  news()
  return id
end
local cutoff, pruned = tonumber(ARGV[5]), 0
for _, channel in ipairs(redis.call('SMEMBERS', P .. 'channels')) do
  local stream = P .. 'channel:' .. channel
  for _, entry in ipairs(redis.call('XRANGE', stream, '-', '+')) do
    local fields = entry[2]
    for i = 1, #fields, 2 do
      if fields[i] == 'time' and tonumber(fields[i + 1]) < cutoff then
        redis.call('XDEL', stream, entry[1])
        pruned = pruned + 1
      end
    end
  end
end
if pruned > 0 then news() end
return pruned
