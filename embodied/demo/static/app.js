// The demo page: one WebSocket to the server (embodied/demo/server.py). JSON commands go out; JSON events
// and binary JPEG frames come back. No build step, no libraries.
"use strict";

const $ = (id) => document.getElementById(id);
const canvas = $("camera");
const context = canvas.getContext("2d");
const state = { session: "", keys: {}, takeover: false, frames: 0, frameTimes: [], plan: [], closed: false,
  actors: [], picked: { world: false, actor: false } };  // selects the user changed since the last reset
const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`);
ws.binaryType = "blob";

function send(command) {
  if (!state.closed) banner("");  // an error stays up until the user's next command
  if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(command));
}

function log(text, kind) {
  const item = document.createElement("li");
  item.textContent = text;
  if (kind) item.className = kind;
  const list = $("log");
  list.appendChild(item);
  while (list.children.length > 300) list.removeChild(list.firstChild);
  list.scrollTop = list.scrollHeight;
}

function banner(text) {
  $("banner").textContent = text;
  $("banner").classList.toggle("hidden", !text);
}

function fill(select, items) {
  select.innerHTML = "";
  for (const item of items) {
    const option = document.createElement("option");
    option.value = item.id ?? item;
    option.textContent = item.label ?? item;
    select.appendChild(option);
  }
}

function renderPlan() {
  const list = $("plan");
  list.innerHTML = "";
  state.plan.forEach((subgoal) => {
    const item = document.createElement("li");
    item.className = subgoal.status;
    item.dataset.status = subgoal.status;
    item.textContent = subgoal.text;
    const badge = document.createElement("span");
    badge.className = "status";
    badge.textContent = subgoal.status;
    item.appendChild(badge);
    list.appendChild(item);
  });
}

async function drawFrame(blob) {
  const bitmap = await createImageBitmap(blob);
  context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  bitmap.close();
  state.frames += 1;
  canvas.dataset.frames = String(state.frames);
  state.frameTimes.push(performance.now());
  showFps();
}

function showFps() {
  const now = performance.now();
  while (state.frameTimes.length && now - state.frameTimes[0] > 2000) state.frameTimes.shift();
  $("fps").textContent = `${(state.frameTimes.length / 2).toFixed(1)} frames/s`;
}
setInterval(showFps, 500);

const crafterHelp = $("keys-help").textContent;
const keyLabels = { " ": "Space", arrowleft: "←", arrowright: "→", arrowup: "↑", arrowdown: "↓" };
function showKeys(world, keys) {  // each world says its own take-over keys (tabletop: arrows, W / S, Space)
  state.keys = keys;
  const listed = Object.entries(keys).map(([key, action]) => `${keyLabels[key] || key.toUpperCase()} ${action.replace(/_/g, " ")}`);
  $("keys-help").textContent = world === "crafter" ? crafterHelp
    : (listed.length ? `Take over keys: ${listed.join(", ")}. Click the camera first so it has the keyboard.`
      : `No keyboard take over in ${world}.`);
}

const handlers = {
  hello(event) {
    state.session = event.session;
    state.keys = event.keys;
    fill($("world"), event.worlds);
    fill($("planner"), event.planners);
    fill($("actor"), event.actors);
    state.actors = event.actors;
    if (event.actor) $("actor").value = event.actor; // Crafter's shipped policy when the server has one
    $("download-hdf5").href = `/download/${event.session}/demo.hdf5`;
    $("download-mp4").href = `/download/${event.session}/episode.mp4`;
    log(`connected: session ${event.session.slice(0, 6)}`);
  },
  status(event) {
    const label = event.paused ? `${event.state} (paused)` : event.state;
    $("status").textContent = event.takeover ? `${label}, you drive` : label;
    $("status").className = `badge ${event.paused ? "paused" : event.state}`;
    state.takeover = event.takeover;
    $("takeover").disabled = event.takeover;
    $("handback").disabled = !event.takeover;
    $("user-steps").textContent = `${event.user_steps} steps by you, ${event.demos} demo episode(s)`;
    // the server's world and actor, unless the user has picked others not yet applied by "reset"
    if (event.world && !state.picked.world) $("world").value = event.world;
    if (event.actor && !state.picked.actor) $("actor").value = event.actor;
  },
  plan(event) {
    state.plan = event.subgoals.map((text) => ({ text, status: "pending" }));
    const why = { plan: "plan", replan: "re-plan", switch: "new instruction: plan replaced" }[event.why] || event.why;
    $("plan-source").textContent = `(${why}; from ${event.planner})`;
    $("plan-instruction").textContent = `“${event.instruction}”`;
    $("explanation").textContent = event.explanation || "";
    log(`${why} (${event.planner}): ${event.subgoals.join(" -> ") || "nothing to do"}`);
    renderPlan();
  },
  subgoal(event) {
    if (state.plan[event.index]) state.plan[event.index].status = event.status;
    if (event.status !== "running") log(`${event.text}: ${event.status} in ${event.steps} steps ${event.reason || ""}`);
    renderPlan();
  },
  step(event) {
    $("user-steps").textContent = `${event.user_steps} steps by you`;
    if (event.actor === "user") log(`you: ${event.action} (${event.subgoal})`);
  },
  reset(event) {
    if (event.keys) showKeys(event.world, event.keys);
    state.plan = [];
    renderPlan();
    $("plan-source").textContent = "";
    $("explanation").textContent = "";
    log(`world reset: ${event.world}, seed ${event.seed}`);
  },
  log(event) { log(event.text); },
  error(event) { log(event.message, "error"); banner(event.message); },
  refused(event) { state.closed = true; banner(event.message); $("status").textContent = "refused"; $("status").className = "badge refused"; },
  closed(event) { state.closed = true; banner(event.message); $("status").textContent = "closed"; $("status").className = "badge closed"; },
};

ws.onmessage = (message) => {
  if (typeof message.data !== "string") { drawFrame(message.data); return; }
  const event = JSON.parse(message.data);
  (handlers[event.type] || (() => log(`? ${message.data}`)))(event);
};
ws.onclose = () => { if (!$("banner").textContent) banner("disconnected from the server; reload the page"); };

$("instruct-form").addEventListener("submit", (event) => {
  event.preventDefault();
  send({ type: "instruct", text: $("instruction").value });
  log(`> ${$("instruction").value}`);
});
$("pause").onclick = () => send({ type: "pause" });
$("resume").onclick = () => send({ type: "resume" });
$("step").onclick = () => send({ type: "step" });
$("speed").oninput = () => { $("speed-value").textContent = $("speed").value; send({ type: "speed", value: Number($("speed").value) }); };
$("takeover").onclick = () => { send({ type: "takeover" }); canvas.focus(); };
$("handback").onclick = () => send({ type: "handback" });
$("planner").onchange = () => $("url-label").classList.toggle("hidden", $("planner").value !== "openai");
$("world").onchange = () => {  // a policy brings the world it was trained in: offer the new world's own
  state.picked.world = true;
  const world = $("world").value, actor = state.actors.find((a) => a.id === $("actor").value);
  if (actor && actor.world && actor.world !== world) {
    const own = state.actors.find((a) => a.world === world);
    $("actor").value = own ? own.id : "expert";
    state.picked.actor = true;
  }
};
$("actor").onchange = () => { state.picked.actor = true; };
$("reset").onclick = () => {
  send({
    type: "reset", world: $("world").value, planner: $("planner").value, planner_url: $("planner-url").value,
    actor: $("actor").value, seed: Number($("seed").value),
  });
  state.picked = { world: false, actor: false };
};
canvas.addEventListener("keydown", (event) => {
  const action = state.keys[event.key.toLowerCase()];
  if (!state.takeover || !action) return;
  event.preventDefault();
  send({ type: "key", action });
});
