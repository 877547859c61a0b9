-- SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
-- Wireshark post-dissector for vnoffload-trace's pcapng captures: the
-- metadata each frame carries (its comment, packet id, queue and interface
-- description) as filterable vno.* fields, and the session, note and end
-- custom blocks as a tree of their JSON.
--
--   wireshark -X lua_script:vnoffload.lua capture.pcapng
--   tshark -X lua_script:vnoffload.lua -r capture.pcapng -Y 'vno.gso_size > 1500'
-- or copy it into ~/.local/lib/wireshark/plugins/ (Wireshark 4.x).
--
-- What a frame carries (user/capture.c, frame_comment and write_idb):
--   comment   "gso_size=N gso_segs=N gso_type=a|b ip_summed=S csum=START+OFF
--             hop=H [latency=Nns] [ring=FREE/SIZE free head=N tail=N]
--             [merged_len=N merged_segs=N] (done: what the skb became after
--             xmit; gso_size/gso_segs are what was sent)
--             [encap=TYPE [vni=N | key=N] inner=L4/SRC:PORT>DST:PORT
--             [inner_csum=START+OFF]] (an encapsulated frame: the tunnel,
--             the frame it carries, its checksum from that frame's start)
--             [drop_reason=N | refused_errno=N]", where newer writers spell
--             the checksum "csum=partial@START+OFF" (or "csum=none", …);
--             a hang frame: "hop=hang queue=N: the kernel TX watchdog fired"
--   epb_packetid  the packet id (the same frame at every hop)
--   epb_queue     the TX queue
--   interface     if_name the device, if_description
--             "driver=D hop=H netns=N ifindex=N"
-- The record itself (custom option 2989, with the anomaly rule id among
-- others) is an option Wireshark 4.0 keeps to itself: no Lua field reaches
-- it, so vno.anomaly is filled only from an "anomaly=NAME" in the comment.
--
-- Our custom blocks (PEN 32473) reach a post-dissector as records whose
-- data is the block's: "VNOB" u16 layout u16 kind_len u32 data_len, kind,
-- JSON (all little-endian).

local PEN = 32473

local vno = Proto("vno", "vnoffload-trace metadata")
local F = vno.fields

F.hop = ProtoField.string("vno.hop", "Hop")
F.dev = ProtoField.string("vno.dev", "Device")
F.driver = ProtoField.string("vno.driver", "Driver")
F.netns = ProtoField.uint32("vno.netns", "Network namespace (inode)")
F.ifindex = ProtoField.uint32("vno.ifindex", "Interface index")
F.queue = ProtoField.uint32("vno.queue", "TX queue")
F.pkt_id = ProtoField.uint64("vno.pkt_id", "Packet id (the same frame at every hop)")
F.gso_size = ProtoField.uint32("vno.gso_size", "GSO size (skb_shinfo gso_size)")
F.gso_segs = ProtoField.uint32("vno.gso_segs", "GSO segments (skb_shinfo gso_segs)")
F.gso_type = ProtoField.string("vno.gso_type", "GSO type (SKB_GSO_* names)")
F.ip_summed = ProtoField.string("vno.ip_summed", "Checksum state (skb->ip_summed)")
F.csum = ProtoField.string("vno.csum", "Checksum (state, or partial@start+offset)")
F.csum_start = ProtoField.uint32("vno.csum_start", "Checksum start (from the MAC header)")
F.csum_offset = ProtoField.uint32("vno.csum_offset", "Checksum offset (from csum_start)")
F.latency_ns = ProtoField.uint64("vno.latency_ns", "Latency (ns)")
F.ring_free = ProtoField.uint32("vno.ring_free", "TX ring free descriptors")
F.ring_size = ProtoField.uint32("vno.ring_size", "TX ring size")
F.ring_head = ProtoField.uint32("vno.ring_head", "TX ring head")
F.ring_tail = ProtoField.uint32("vno.ring_tail", "TX ring tail")
F.merged_len = ProtoField.uint32("vno.merged_len", "Length at release (the skb grew after xmit: a receiver's GRO)")
F.merged_segs = ProtoField.uint32("vno.merged_segs", "GSO segments at release (the skb grew after xmit)")
F.drop_reason = ProtoField.uint32("vno.drop_reason", "Drop reason (enum skb_drop_reason)")
F.refused_errno = ProtoField.uint32("vno.refused_errno", "errno of the guest's refused write")
F.anomaly = ProtoField.string("vno.anomaly", "Anomaly rule")
F.encap = ProtoField.string("vno.encap", "Encapsulation (vxlan, geneve, gre, gretap, udp-tunnel)")
F.vni = ProtoField.uint32("vno.vni", "Tunnel VNI (VXLAN, Geneve)")
F.gre_key = ProtoField.uint32("vno.gre_key", "GRE key")
F.inner = ProtoField.string("vno.inner", "Encapsulated frame (l4/source>destination)")
F.inner_csum_start = ProtoField.uint32("vno.inner_csum_start", "Checksum start inside the encapsulated frame")
F.inner_csum_offset = ProtoField.uint32("vno.inner_csum_offset", "Checksum offset inside the encapsulated frame")
F.hang = ProtoField.bool("vno.hang", "TX watchdog fired")
F.block_kind = ProtoField.string("vno.block.kind", "Block kind (session, hang, lost, offload_change, end, …)")
F.block_layout = ProtoField.uint16("vno.block.layout", "Block layout")
F.block_data = ProtoField.string("vno.block.data", "Block data (JSON)")

local f_comment = Field.new("frame.comment")
local f_pkt_id = Field.new("frame.packet_id")
local f_queue = Field.new("frame.interface_queue")
local f_if_name = Field.new("frame.interface_name")
local f_if_desc = Field.new("frame.interface_description")
local f_cb_pen = Field.new("frame.cb_pen")

local json = Dissector.get("json")

-- Plain unsigned integers of the comment ("34", "2000ns"); nil otherwise.
local function num(s)
	return s and tonumber(s:match("^(%d+)"))
end

-- csum=34+16 (before the checksum had one spelling), csum=partial@34+16,
-- csum=none: into m.ip_summed, m.csum_start, m.csum_offset and m.csum.
local function parse_csum(v, m)
	local state, s, o = v:match("^(%a+)@(%d+)%+(%d+)$")
	if not state then
		s, o = v:match("^(%d+)%+(%d+)$")
		if s then
			state = "partial"
		end
	end
	if s then
		m.ip_summed = m.ip_summed or state
		m.csum_start, m.csum_offset = tonumber(s), tonumber(o)
		m.csum = state .. "@" .. s .. "+" .. o
	else
		m.ip_summed = m.ip_summed or v
		m.csum = v
	end
end

-- One comment's key=value words into m. True when it is one of ours.
local function parse_comment(c, m)
	if c:match("^hop=hang") then
		m.hop = "hang"
		m.queue = m.queue or num(c:match("queue=(%d+)"))
		return true
	end
	-- Every frame line of ours names its hop.
	if not (c:match("^hop=%S") or c:match(" hop=%S")) then
		return false
	end
	for k, v in c:gmatch("([%w_]+)=(%S+)") do
		if k == "gso_size" or k == "gso_segs" or k == "drop_reason" or k == "refused_errno"
			or k == "merged_len" or k == "merged_segs" then
			m[k] = num(v)
		elseif k == "gso_type" or k == "hop" or k == "anomaly" or k == "dev" or k == "encap"
			or k == "inner" then
			m[k] = v
		elseif k == "vni" or k == "key" then
			m[k] = num(v)
		elseif k == "inner_csum" then
			local s, o = v:match("^(%d+)%+(%d+)$")
			m.inner_csum_start, m.inner_csum_offset = tonumber(s), tonumber(o)
		elseif k == "ip_summed" then
			m.ip_summed = v
			m.csum = m.csum or v
		elseif k == "csum" then
			parse_csum(v, m)
		elseif k == "latency" or k == "latency_ns" then
			m.latency_ns = num(v)
		elseif k == "ring" then
			local fr, sz = v:match("^(%d+)/(%d+)$")
			m.ring_free, m.ring_size = tonumber(fr), tonumber(sz)
		elseif k == "head" then
			m.ring_head = num(v)
		elseif k == "tail" then
			m.ring_tail = num(v)
		elseif k == "pkt_id" then
			m.pkt_id_text = v
		end
	end
	if m.ip_summed and not m.csum then
		m.csum = m.ip_summed
	end
	return true
end

-- A custom block of ours: its kind and its JSON as a tree.
local function dissect_block(tvb, pinfo, tree)
	if tvb:len() < 12 or tvb(0, 4):string() ~= "VNOB" then
		return
	end
	local klen, dlen = tvb(6, 2):le_uint(), tvb(8, 4):le_uint()
	if 12 + klen + dlen > tvb:len() then
		return
	end
	local kind = tvb(12, klen):string()
	local st = tree:add(vno, tvb(0, 12 + klen + dlen), "vnoffload-trace " .. kind .. " block")
	st:add_le(F.block_layout, tvb(4, 2))
	st:add(F.block_kind, tvb(12, klen))
	if dlen > 0 then
		local data = tvb(12 + klen, dlen)
		st:add(F.block_data, data)
		if json then
			local proto_col = tostring(pinfo.cols.protocol)
			json:call(data:tvb(), pinfo, st)
			pinfo.cols.protocol = proto_col
		end
	end
	pinfo.cols.info = "vnoffload-trace " .. kind .. " block"
end

local function add_u(st, field, v)
	if v then
		st:add(field, v)
	end
end

-- 64-bit fields take a UInt64, not a Lua number.
local function add_u64(st, field, v)
	if v then
		st:add(field, UInt64.new(v))
	end
end

function vno.dissector(tvb, pinfo, tree)
	local pen = f_cb_pen()
	if pen then
		if pen.value == PEN then
			dissect_block(tvb, pinfo, tree)
		end
		return
	end

	local m, ours = {}, false
	local d = f_if_desc()
	if d then
		local drv, hop, ns, ifx = tostring(d.value):match(
			"^driver=(%S*) hop=(%S+) netns=(%d+) ifindex=(%d+)$")
		if drv then
			ours = true
			m.driver, m.hop, m.netns, m.ifindex = drv, hop, tonumber(ns), tonumber(ifx)
		end
	end
	for _, c in ipairs({ f_comment() }) do
		if parse_comment(tostring(c.value), m) then
			ours = true
		end
	end
	if not ours then
		return
	end
	local q, id, name = f_queue(), f_pkt_id(), f_if_name()
	if q and not m.queue then
		m.queue = q.value
	end

	local st = tree:add(vno, tvb(0, 0), "vnoffload-trace")
	if m.hop then
		st:add(F.hop, m.hop)
	end
	st:add(F.hang, m.hop == "hang")
	if name then
		st:add(F.dev, tostring(name.value))
	elseif m.dev then
		st:add(F.dev, m.dev)
	end
	if m.driver then
		st:add(F.driver, m.driver)
	end
	add_u(st, F.netns, m.netns)
	add_u(st, F.ifindex, m.ifindex)
	add_u(st, F.queue, m.queue)
	if id then
		st:add(F.pkt_id, id.value)
	elseif m.pkt_id_text and m.pkt_id_text:match("^%d+$") then
		add_u64(st, F.pkt_id, m.pkt_id_text)
	end
	add_u(st, F.gso_size, m.gso_size)
	add_u(st, F.gso_segs, m.gso_segs)
	if m.gso_type then
		st:add(F.gso_type, m.gso_type)
	end
	if m.ip_summed then
		st:add(F.ip_summed, m.ip_summed)
	end
	if m.csum then
		st:add(F.csum, m.csum)
	end
	add_u(st, F.csum_start, m.csum_start)
	add_u(st, F.csum_offset, m.csum_offset)
	add_u64(st, F.latency_ns, m.latency_ns)
	add_u(st, F.ring_free, m.ring_free)
	add_u(st, F.ring_size, m.ring_size)
	add_u(st, F.ring_head, m.ring_head)
	add_u(st, F.ring_tail, m.ring_tail)
	add_u(st, F.merged_len, m.merged_len)
	add_u(st, F.merged_segs, m.merged_segs)
	add_u(st, F.drop_reason, m.drop_reason)
	add_u(st, F.refused_errno, m.refused_errno)
	if m.anomaly then
		st:add(F.anomaly, m.anomaly)
	end
	if m.encap then
		st:add(F.encap, m.encap)
	end
	add_u(st, F.vni, m.vni)
	add_u(st, F.gre_key, m.key)
	if m.inner then
		st:add(F.inner, m.inner)
	end
	add_u(st, F.inner_csum_start, m.inner_csum_start)
	add_u(st, F.inner_csum_offset, m.inner_csum_offset)

	local label = "hop=" .. (m.hop or "?")
	if m.hop ~= "hang" and m.gso_size then
		label = label .. " gso=" .. m.gso_size .. "x" .. (m.gso_segs or 0)
		if m.csum then
			label = label .. " csum=" .. m.csum
		end
	end
	st:append_text(": " .. label)
	pinfo.cols.info:append(" [vno " .. label .. "]")
end

register_postdissector(vno)
