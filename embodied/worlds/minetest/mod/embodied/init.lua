-- embodied (bridge mod): one command per file in the world folder (cmd.json, written by Python), one reply per
-- command (state.json). The player does not move by itself (physics zeroed): every step moves, turns, digs,
-- crafts and places server-side, so the state after step n depends only on the seed and the n actions.
local bridge = {seq = -1, dig_pos = nil, dig_time = 0, ready = false, pending = nil}
-- The pose is the mod's own: the client still sends its (possibly stale) position and look to the server,
-- so every step starts from this copy and sets it again, never from p:get_pos().
local pose = {pos = {x = 0, y = 0.5, z = 0}, yaw = 0, pitch = 0}
local WORLD = minetest.get_worldpath()
local R, FLOOR, TOP = 20, 0, 14           -- arena half size, floor top y, sky clear up to y
local MOVE, DIG_STEP, REACH = 0.25, 0.25, 4.5
local HALF, HEIGHT = 0.3, 1.77            -- player collision box
local SCAN = {"default:tree", "default:stone", "embodied:crafting_table"}

minetest.register_node("embodied:barrier", {
  description = "Barrier", drawtype = "airlike", paramtype = "light", sunlight_propagates = true,
  walkable = true, pointable = false, diggable = false, buildable_to = false, groups = {not_in_creative_inventory = 1},
})
minetest.register_node("embodied:crafting_table", {
  description = "Crafting Table", tiles = {"default_wood.png^default_stick.png", "default_wood.png", "default_wood.png"},
  groups = {choppy = 2, oddly_breakable_by_hand = 2, flammable = 2}, sounds = default.node_sound_wood_defaults(),
})
minetest.register_craft({output = "embodied:crafting_table", recipe = {{"group:wood", "group:wood"}, {"group:wood", "group:wood"}}})

local function write_json(name, value)
  local file = io.open(WORLD .. "/" .. name .. ".tmp", "w")
  file:write(minetest.write_json(value))
  file:close()
  os.rename(WORLD .. "/" .. name .. ".tmp", WORLD .. "/" .. name)
end

local function player() return minetest.get_connected_players()[1] end

local function solid(pos)
  local node = minetest.get_node(vector.round(pos))
  local def = minetest.registered_nodes[node.name]
  return node.name == "ignore" or (def ~= nil and def.walkable)
end

local function blocked(pos)    -- does the player box at feet `pos` overlap a walkable node?
  for _, dx in ipairs({-HALF, HALF}) do
    for _, dz in ipairs({-HALF, HALF}) do
      for _, dy in ipairs({0.01, 1.0, HEIGHT - 0.01}) do
        if solid({x = pos.x + dx, y = pos.y + dy, z = pos.z + dz}) then return true end
      end
    end
  end
  return false
end

local function supported(pos)
  return blocked({x = pos.x, y = pos.y - 0.1, z = pos.z})
end

local function move(p, action)
  local pos = vector.new(pose.pos)
  local yaw = pose.yaw
  local fwd = ({0, 1, -1})[action[1] + 1]
  local side = ({0, -1, 1})[action[2] + 1]  -- left, right
  local speed = MOVE * ({1, 1, 0.3, 1.3})[action[3] + 1]
  local dir = {x = -math.sin(yaw), z = math.cos(yaw)}
  local right = {x = math.cos(yaw), z = math.sin(yaw)}
  local target = {x = pos.x + speed * (fwd * dir.x + side * right.x), y = pos.y,
                  z = pos.z + speed * (fwd * dir.z + side * right.z)}
  if (fwd ~= 0 or side ~= 0) then
    if not blocked(target) then
      pos = target
    elseif action[3] == 1 and supported(pos) and not blocked({x = target.x, y = target.y + 1, z = target.z}) then
      pos = {x = target.x, y = target.y + 1, z = target.z}  -- jump onto a one-node step
    end
  end
  for _ = 1, 2 do  -- gravity: fall at most two nodes per step
    if supported(pos) or pos.y < FLOOR - 8 then break end
    pos.y = pos.y - 1
  end
  pose.pos = pos
  p:set_pos(pos)
end

local function turn(p, action)
  pose.pitch = math.max(-math.pi / 2, math.min(math.pi / 2, pose.pitch + math.rad((action[4] - 12) * 15)))
  pose.yaw = (pose.yaw - math.rad((action[5] - 12) * 15)) % (2 * math.pi)
  p:set_look_vertical(pose.pitch)
  p:set_look_horizontal(pose.yaw)
end

local function pointed(p)
  local eye = vector.add(pose.pos, {x = 0, y = p:get_properties().eye_height, z = 0})
  local dir = {x = -math.sin(pose.yaw) * math.cos(pose.pitch), y = -math.sin(pose.pitch),
               z = math.cos(pose.yaw) * math.cos(pose.pitch)}
  local ray = minetest.raycast(eye, vector.add(eye, vector.multiply(dir, REACH)), false, false)
  for thing in ray do
    if thing.type == "node" then return thing end
  end
  return nil
end

local function attack(p)
  local thing = pointed(p)
  if not thing then bridge.dig_pos = nil; return end
  local pos = thing.under
  if not bridge.dig_pos or not vector.equals(pos, bridge.dig_pos) then
    bridge.dig_pos, bridge.dig_time = pos, 0
  end
  local node = minetest.get_node(pos)
  local def = minetest.registered_nodes[node.name]
  if not def then return end
  local caps = p:get_wielded_item():get_tool_capabilities()
  local params = minetest.get_dig_params(def.groups, caps)
  if not params.diggable then return end
  bridge.dig_time = bridge.dig_time + DIG_STEP
  if bridge.dig_time >= params.time then
    minetest.node_dig(pos, node, p)
    bridge.dig_pos = nil
  end
end

local function has_all(inv, needs)
  for item, count in pairs(needs) do
    local have = 0
    for _, stack in ipairs(inv:get_list("main")) do
      local name = stack:get_name()
      if name == item or (item:sub(1, 6) == "group:" and minetest.get_item_group(name, item:sub(7)) > 0) then
        have = have + stack:get_count()
      end
    end
    if have < count then return false end
  end
  return true
end

local function take(inv, item, count)
  for index, stack in ipairs(inv:get_list("main")) do
    local name = stack:get_name()
    if count > 0 and (name == item or (item:sub(1, 6) == "group:" and minetest.get_item_group(name, item:sub(7)) > 0)) then
      local n = math.min(count, stack:get_count())
      stack:take_item(n)
      inv:set_stack("main", index, stack)
      count = count - n
    end
  end
end

local function craft(p, output)   -- the engine's own recipes; 3x3 ones need a crafting table in reach
  local inv = p:get_inventory()
  for _, recipe in ipairs(minetest.get_all_craft_recipes(output) or {}) do
    if recipe.method == "normal" then
      local needs, last = {}, 0
      for index, item in pairs(recipe.items) do
        if item ~= "" then needs[item] = (needs[item] or 0) + 1; last = math.max(last, index) end
      end
      local width = math.max(recipe.width, 1)
      local big = width > 2 or math.ceil(last / width) > 2
      local table_near = minetest.find_node_near(vector.round(pose.pos), 3, "embodied:crafting_table", true)
      if has_all(inv, needs) and (not big or table_near) then
        for item, count in pairs(needs) do take(inv, item, count) end
        local leftover = inv:add_item("main", ItemStack(recipe.output))
        if not leftover:is_empty() then minetest.add_item(pose.pos, leftover) end
        return true
      end
    end
  end
  return false
end

local function functional(p, action, cmd)
  local op, slot = action[6], action[8] + 1
  local inv = p:get_inventory()
  if op == 3 then attack(p) else bridge.dig_pos = nil end
  if op == 4 and cmd.craft then craft(p, cmd.craft) end
  if op == 5 then   -- equip: swap the slot into the wielded one
    local wield = p:get_wield_index()
    local a, b = inv:get_stack("main", slot), inv:get_stack("main", wield)
    inv:set_stack("main", wield, a); inv:set_stack("main", slot, b)
  end
  if op == 6 then   -- place the slot's block against the pointed face
    local thing, stack = pointed(p), inv:get_stack("main", slot)
    if thing and not stack:is_empty() and minetest.registered_nodes[stack:get_name()] then
      local rest = minetest.item_place_node(stack, p, thing)
      inv:set_stack("main", slot, rest)
    end
  end
  if op == 7 then inv:set_stack("main", slot, ItemStack("")) end
  if op == 2 then
    local stack = p:get_wielded_item()
    if not stack:is_empty() then
      minetest.add_item(vector.add(pose.pos, {x = 0, y = 1.2, z = 0}), stack:take_item(1))
      p:set_wielded_item(stack)
    end
  end
end

local function state(p, cmd)
  local pos, inv = pose.pos, p:get_inventory()
  local items = {}
  for index, stack in ipairs(inv:get_list("main")) do
    items[index] = {stack:get_name(), stack:get_count(), stack:get_wear()}
  end
  local voxels = {}
  local base = vector.round(pos)
  for dx = -1, 1 do for dy = -1, 1 do for dz = -1, 1 do
    voxels[#voxels + 1] = minetest.get_node({x = base.x + dx, y = base.y + dy, z = base.z + dz}).name
  end end end
  local thing = pointed(p)
  local found = minetest.find_nodes_in_area({x = -R, y = FLOOR - 3, z = -R}, {x = R, y = TOP, z = R}, SCAN, true)
  for name, list in pairs(found) do
    for i, v in ipairs(list) do list[i] = {v.x, v.y, v.z} end
  end
  return {
    seq = cmd.seq, ready = bridge.ready, pos = {pos.x, pos.y, pos.z},
    yaw = pose.yaw, pitch = pose.pitch, wield = p:get_wield_index(),
    inventory = items, voxels = voxels, hp = p:get_hp(), breath = p:get_breath(),
    pointed = thing and {thing.under.x, thing.under.y, thing.under.z, minetest.get_node(thing.under).name} or false,
    nodes = found, light = minetest.get_node_light(base) or 0, time = minetest.get_timeofday(),
    gametime = minetest.get_gametime(), dig_time = bridge.dig_time,
  }
end

local function build(cmd)   -- the arena: floor, barrier walls, seeded trees and stone outcrops
  local vm = minetest.get_voxel_manip()
  local emin, emax = vm:read_from_map({x = -R - 1, y = FLOOR - 4, z = -R - 1}, {x = R + 1, y = TOP, z = R + 1})
  local area = VoxelArea:new({MinEdge = emin, MaxEdge = emax})
  local data = vm:get_data()
  local ids = {}
  for _, name in ipairs({"air", "default:dirt_with_grass", "default:dirt", "default:stone", "embodied:barrier",
                         "default:tree", "default:leaves"}) do ids[name] = minetest.get_content_id(name) end
  for z = -R - 1, R + 1 do for y = FLOOR - 4, TOP do for x = -R - 1, R + 1 do
    local id = ids["air"]
    if math.abs(x) > R or math.abs(z) > R then id = ids["embodied:barrier"]
    elseif y == FLOOR then id = ids["default:dirt_with_grass"]
    elseif y < FLOOR - 2 then id = ids["embodied:barrier"]
    elseif y < FLOOR then id = ids["default:dirt"] end
    data[area:index(x, y, z)] = id
  end end end
  local param2 = vm:get_param2_data()
  for i in ipairs(param2) do param2[i] = 0 end
  for _, tree in ipairs(cmd.trees or {}) do
    local tx, tz, h = tree[1], tree[2], tree[3]
    for y = FLOOR + h - 1, FLOOR + h + 1 do for dz = -2, 2 do for dx = -2, 2 do
      local corner = math.abs(dx) == 2 and math.abs(dz) == 2
      if not corner and (y < FLOOR + h + 1 or (math.abs(dx) < 2 and math.abs(dz) < 2)) then
        local i = area:index(tx + dx, y, tz + dz)
        data[i], param2[i] = ids["default:leaves"], 1   -- param2 1: placed leaves never decay
      end
    end end end
    for y = FLOOR + 1, FLOOR + h do data[area:index(tx, y, tz)] = ids["default:tree"] end
  end
  for _, rock in ipairs(cmd.stones or {}) do
    for dy = 1, 2 do for dz = 0, 1 do for dx = 0, 1 do
      data[area:index(rock[1] + dx, FLOOR + dy, rock[2] + dz)] = ids["default:stone"]
    end end end
  end
  vm:set_data(data); vm:set_param2_data(param2); vm:write_to_map(true)
end

local function reset(p, cmd)
  for _, obj in ipairs(minetest.get_objects_inside_radius({x = 0, y = FLOOR, z = 0}, R * 2)) do
    if not obj:is_player() then obj:remove() end
  end
  build(cmd)
  local inv = p:get_inventory()
  inv:set_size("main", 36)
  inv:set_list("main", {}); inv:set_list("craft", {})
  for _, item in ipairs(cmd.inventory or {}) do inv:add_item("main", ItemStack(item)) end
  p:set_hp(20); p:set_breath(10)
  pose = {pos = {x = cmd.spawn[1], y = FLOOR + 0.5, z = cmd.spawn[2]}, yaw = cmd.spawn[3], pitch = 0}
  p:set_pos(pose.pos)
  p:set_look_horizontal(pose.yaw); p:set_look_vertical(pose.pitch)
  minetest.set_timeofday(cmd.timeofday or 0.5)
  bridge.dig_pos, bridge.dig_time, bridge.ready = nil, 0, true
end

local function setup(p)
  p:set_physics_override({speed = 0, jump = 0, gravity = 0, sneak = false})
  p:hud_set_hotbar_itemcount(9)
  p:hud_set_flags({minimap = false, minimap_radar = false})
  p:get_inventory():set_size("main", 36)
  local recipes = {}
  for _, item in ipairs({"default:wood", "default:stick", "embodied:crafting_table", "default:pick_wood",
                         "default:pick_stone", "default:axe_wood", "default:sword_wood", "default:shovel_wood",
                         "default:furnace", "default:chest", "default:torch"}) do
    recipes[item] = minetest.get_all_craft_recipes(item)
  end
  write_json("recipes.json", recipes)
end

minetest.register_on_joinplayer(function(p) setup(p) end)

local function handle(p, cmd)
  if cmd.op == "reset" then
    minetest.emerge_area({x = -R - 1, y = FLOOR - 4, z = -R - 1}, {x = R + 1, y = TOP, z = R + 1},
      function(_, _, remaining) if remaining == 0 then bridge.pending = cmd end end)
    return false
  elseif cmd.op == "step" then
    turn(p, cmd.action); move(p, cmd.action); functional(p, cmd.action, cmd)
  end
  return true
end

minetest.register_globalstep(function()
  local p = player()
  if not p then return end
  if bridge.pending then
    local cmd = bridge.pending
    bridge.pending = nil
    reset(p, cmd)
    write_json("state.json", state(p, cmd))
  end
  local file = io.open(WORLD .. "/cmd.json", "r")
  if not file then return end
  local text = file:read("*a")
  file:close()
  local cmd = minetest.parse_json(text)
  if not cmd or cmd.seq <= bridge.seq then return end
  bridge.seq = cmd.seq
  if handle(p, cmd) then write_json("state.json", state(p, cmd)) end
end)
