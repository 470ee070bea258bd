// TimelyGator web watcher: heartbeats {url, title, audible, incognito, tabCount} for the
// active tab of the focused window, to the local app's ActivityWatch-compatible API.
// Plain JS, no build step. Works as a Chrome/Edge/Brave service worker and a Firefox
// background script (both expose the `chrome` namespace).
"use strict";

const PULSETIME_S = 80;
const ALARM = "tg-heartbeat";
const QUEUE_LIMIT = 10000; // ~ a week of minute heartbeats; oldest dropped beyond that
const DEFAULTS = { port: 5600, token: "", hostname: "", sendIncognito: false };

function browserName() {
  const ua = navigator.userAgent;
  if (/Firefox\//.test(ua)) return "firefox";
  if (/Edg\//.test(ua)) return "edge";
  if (/OPR\//.test(ua)) return "opera";
  if (/Vivaldi/.test(ua)) return "vivaldi";
  if (navigator.brave) return "brave";
  const brands = (navigator.userAgentData && navigator.userAgentData.brands) || [];
  if (brands.some((b) => b.brand === "Google Chrome")) return "chrome";
  if (brands.some((b) => b.brand === "Chromium")) return "chromium";
  return "chrome";
}

async function settings() {
  const stored = await chrome.storage.local.get(Object.keys(DEFAULTS));
  return { ...DEFAULTS, ...stored };
}

function baseUrl(cfg) {
  return `http://127.0.0.1:${Number(cfg.port) || 5600}`;
}

function headers(cfg) {
  const h = { "Content-Type": "application/json" };
  if (cfg.token) h.Authorization = `Bearer ${cfg.token}`;
  return h;
}

async function hostname(cfg) {
  if (cfg.hostname) return cfg.hostname;
  // GET /api/0/info needs no token; remember the app's hostname once known.
  const res = await fetch(`${baseUrl(cfg)}/api/0/info`);
  if (!res.ok) throw new Error(`info: HTTP ${res.status}`);
  const info = await res.json();
  await chrome.storage.local.set({ hostname: info.hostname });
  return info.hostname;
}

async function currentTab(cfg) {
  const win = await chrome.windows.getLastFocused({ populate: true });
  if (!win || !win.focused || !win.tabs) return null;
  const tab = win.tabs.find((t) => t.active);
  if (!tab || !tab.url) return null;
  if (tab.incognito && !cfg.sendIncognito) return null; // private windows are not recorded
  return {
    url: tab.url,
    title: tab.title || "",
    audible: Boolean(tab.audible),
    incognito: Boolean(tab.incognito),
    tabCount: win.tabs.length,
  };
}

// Every change to the stored queue goes through this chain, so an enqueue can never be
// lost between another change's read and write.
let queueChain = Promise.resolve();

function mutateQueue(change) {
  queueChain = queueChain
    .then(async () => {
      const { queue = [] } = await chrome.storage.local.get("queue");
      await chrome.storage.local.set({ queue: change(queue) });
    })
    .catch(() => {});
  return queueChain;
}

function enqueue(item) {
  return mutateQueue((queue) => {
    queue.push(item);
    return queue.length > QUEUE_LIMIT ? queue.slice(queue.length - QUEUE_LIMIT) : queue;
  });
}

let flushing = null;

function flush() {
  // One flush at a time; callers share the running one.
  if (!flushing) flushing = doFlush().finally(() => { flushing = null; });
  return flushing;
}

async function doFlush() {
  const cfg = await settings();
  let host;
  try {
    host = await hostname(cfg);
  } catch (e) {
    return; // the app is not running: keep the queue, retry on the next alarm/event
  }
  const bucket = `aw-watcher-web-${browserName()}_${host}`;
  const api = `${baseUrl(cfg)}/api/0/buckets/${encodeURIComponent(bucket)}`;
  await queueChain;
  const { queue = [], bucketReady = "" } = await chrome.storage.local.get(["queue", "bucketReady"]);
  if (!queue.length) return;
  try {
    if (bucketReady !== bucket) {
      const res = await fetch(api, {
        method: "POST",
        headers: headers(cfg),
        body: JSON.stringify({ client: "timelygator-web-extension", type: "web.tab.current", hostname: host }),
      });
      if (res.status !== 200 && res.status !== 304) return;
      await chrome.storage.local.set({ bucketReady: bucket });
    }
    let sent = 0;
    for (const event of queue) {
      const res = await fetch(`${api}/heartbeat?pulsetime=${PULSETIME_S}`, {
        method: "POST",
        headers: headers(cfg),
        body: JSON.stringify(event),
      });
      if (res.status === 404) await chrome.storage.local.set({ bucketReady: "" });
      if (res.status === 400 || res.status === 413) { sent += 1; continue; } // never valid
      if (!res.ok) break; // 401 (token), 429, 5xx: retry later
      sent += 1;
    }
    if (sent) await mutateQueue((now) => now.slice(sent)); // new items stay at the end
  } catch (e) {
    // Network error: the app is closed. The queue stays; the alarm retries.
  }
}

async function heartbeat() {
  const cfg = await settings();
  const data = await currentTab(cfg);
  if (data) await enqueue({ timestamp: new Date().toISOString(), duration: 0, data });
  await flush();
}

function ensureAlarm() {
  chrome.alarms.create(ALARM, { periodInMinutes: 1 });
}

chrome.runtime.onInstalled.addListener(ensureAlarm);
chrome.runtime.onStartup.addListener(ensureAlarm);
chrome.alarms.onAlarm.addListener((alarm) => { if (alarm.name === ALARM) heartbeat(); });
chrome.tabs.onActivated.addListener(() => heartbeat());
chrome.tabs.onUpdated.addListener((tabId, change, tab) => {
  if (tab.active && (change.url || change.title || "audible" in change)) heartbeat();
});
chrome.windows.onFocusChanged.addListener((windowId) => {
  if (windowId !== chrome.windows.WINDOW_ID_NONE) heartbeat();
});
chrome.storage.onChanged.addListener((changes) => {
  if (changes.port || changes.token) flush();
});
