"use strict";

const FIELDS = ["port", "token", "hostname", "sendIncognito"];
const $ = (id) => document.getElementById(id);

async function load() {
  const cfg = await chrome.storage.local.get(FIELDS);
  $("port").value = cfg.port || 5600;
  $("token").value = cfg.token || "";
  $("hostname").value = cfg.hostname || "";
  $("sendIncognito").checked = Boolean(cfg.sendIncognito);
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
}

async function test() {
  await save();
  const port = Number($("port").value) || 5600;
  const token = $("token").value.trim();
  try {
    const info = await (await fetch(`http://127.0.0.1:${port}/api/0/info`)).json();
    const res = await fetch(`http://127.0.0.1:${port}/api/0/buckets/`, {
      headers: token ? { Authorization: `Bearer ${token}` } : {},
    });
    $("status").textContent = res.ok
      ? `Connected to ${info.hostname} (version ${info.version}).`
      : `The app answered HTTP ${res.status}: check the token.`;
  } catch (e) {
    $("status").textContent = `Cannot reach TimelyGator on port ${port}. Is the app running with the local API enabled?`;
  }
}

$("save").addEventListener("click", save);
$("test").addEventListener("click", test);
load();
