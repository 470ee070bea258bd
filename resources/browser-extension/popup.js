"use strict";

const $ = (id) => document.getElementById(id);
const TITLES = { ok: "Recording", offline: "Waiting for TimelyGator", error: "Not delivered" };

function render(status) {
  if (!status) return;
  $("state").textContent = TITLES[status.state] || "TimelyGator";
  $("state").dataset.state = status.state;
  $("message").textContent = status.message;
  $("when").textContent = status.at ? `Last attempt: ${new Date(status.at).toLocaleTimeString()}` : "";
}

chrome.storage.local.get("status").then(({ status }) => render(status));
chrome.storage.onChanged.addListener((changes) => {
  if (changes.status) render(changes.status.newValue);
});
$("retry").addEventListener("click", () => {
  $("message").textContent = "Sending…";
  chrome.runtime.sendMessage({ type: "flush" }).then(render).catch(() => {});
});
$("options").addEventListener("click", () => chrome.runtime.openOptionsPage());
