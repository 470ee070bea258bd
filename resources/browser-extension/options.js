"use strict";

const FIELDS = ["port", "token", "hostname", "sendIncognito"];
const $ = (id) => document.getElementById(id);

async function load() {
  const cfg = await chrome.storage.local.get(FIELDS);
  $("port").value = cfg.port || 5600;
  $("token").value = cfg.token || "";
  $("hostname").value = cfg.hostname || "";
  $("sendIncognito").checked = Boolean(cfg.sendIncognito);
  $("extensionId").textContent = chrome.runtime.id;
}

async function save() {
  await chrome.storage.local.set({
    port: Number($("port").value) || 5600,
    token: $("token").value.trim(),
    hostname: $("hostname").value.trim(),
    sendIncognito: $("sendIncognito").checked,
    bucketReady: "",
  });
  $("status").textContent = "Saved.";
  $("status").dataset.state = "saved";
}

function show(state, text) {
  $("status").textContent = text;
  $("status").dataset.state = state; // "ok" | "error" | "offline": read by the tests too
}

// A real write, as the watcher makes it: create (or find) this browser's bucket. Every
// request carries this extension's Origin and the token, so a 401 (token) or 403 (origin)
// shows here rather than in a queue that never drains.
async function test() {
  await save();
  const cfg = await settings();
  let info;
  try {
    info = await (await fetch(`${baseUrl(cfg)}/api/0/info`)).json();
  } catch (e) {
    show("offline", explain(0, "", cfg));
    return;
  }
  const host = cfg.hostname || info.hostname;
  const bucket = bucketFor(host);
  let res;
  try {
    res = await fetch(`${baseUrl(cfg)}/api/0/buckets/${encodeURIComponent(bucket)}`, {
      method: "POST",
      headers: headers(cfg),
      body: JSON.stringify({ client: CLIENT_NAME, type: "web.tab.current", hostname: host }),
    });
  } catch (e) {
    show("offline", explain(0, "", cfg));
    return;
  }
  if (res.status === 200 || res.status === 304) {
    await chrome.storage.local.set({ bucketReady: bucket });
    show("ok", `Connected: TimelyGator on ${info.hostname} (${info.version}) accepted a write. ` +
      `This browser records into ${bucket}.`);
    chrome.runtime.sendMessage({ type: "flush" }).catch(() => {});
  } else {
    show("error", explain(res.status, await serverMessage(res), cfg));
  }
}

$("save").addEventListener("click", save);
$("test").addEventListener("click", test);
load();
