// TimelyGator web watcher: heartbeats {url, title, audible, incognito, tabCount} for the
// active tab of the focused window, to the local app's ActivityWatch-compatible API.
// Plain JS, no build step. Works as a Chrome/Edge/Brave service worker and a Firefox
// background script (both expose the `chrome` namespace; Firefox loads common.js itself).
"use strict";

if (typeof importScripts === "function") importScripts("common.js");

const PULSETIME_S = 80;
const ALARM = "tg-heartbeat";
const QUEUE_LIMIT = 10000; // ~ a week of minute heartbeats; oldest dropped beyond that

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
  // A page still loading has no title yet: its complete load sends the heartbeat.
  if (!tab || !tab.url || tab.status === "loading") return null;
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

function enqueue(items) {
  return mutateQueue((queue) => {
    queue.push(...items);
    return queue.length > QUEUE_LIMIT ? queue.slice(queue.length - QUEUE_LIMIT) : queue;
  });
}

// -- what the toolbar shows ---------------------------------------------------------------
async function setStatus(status) {
  await chrome.storage.local.set({ status: { ...status, at: Date.now() } });
  const action = chrome.action || chrome.browserAction;
  if (!action) return;
  if (status.state === "ok") {
    await action.setBadgeText({ text: "" });
    await action.setTitle({ title: "TimelyGator Web Watcher: recording" });
    return;
  }
  const queued = status.queued || 0;
  await action.setBadgeText({ text: status.state === "offline" && queued ? String(queued) : "!" });
  await action.setBadgeBackgroundColor({ color: status.state === "offline" ? "#b26b00" : "#c62828" });
  await action.setTitle({ title: `TimelyGator Web Watcher: ${status.message}` });
}

// -- delivery -------------------------------------------------------------------------------
let flushing = null;

function flush() {
  // One flush at a time; callers share the running one.
  if (!flushing) flushing = doFlush().finally(() => { flushing = null; });
  return flushing;
}

async function doFlush() {
  const cfg = await settings();
  await queueChain;
  const { queue = [], bucketReady = "" } = await chrome.storage.local.get(["queue", "bucketReady"]);
  let host;
  try {
    host = await hostname(cfg);
  } catch (e) {
    // The app is not running: keep the queue, retry on the next alarm or tab change.
    await setStatus({ state: "offline", queued: queue.length, message: explain(0, "", cfg) });
    return;
  }
  if (!queue.length) return;
  const bucket = bucketFor(host);
  const api = `${baseUrl(cfg)}/api/0/buckets/${encodeURIComponent(bucket)}`;
  let sent = 0;
  let failure = null;
  try {
    if (bucketReady !== bucket) {
      const res = await fetch(api, {
        method: "POST",
        headers: headers(cfg),
        body: JSON.stringify({ client: CLIENT_NAME, type: "web.tab.current", hostname: host }),
      });
      if (res.status !== 200 && res.status !== 304) {
        failure = { status: res.status, message: await serverMessage(res) };
      } else {
        await chrome.storage.local.set({ bucketReady: bucket });
      }
    }
    for (const event of failure ? [] : queue) {
      const res = await fetch(`${api}/heartbeat?pulsetime=${PULSETIME_S}`, {
        method: "POST",
        headers: headers(cfg),
        body: JSON.stringify(event),
      });
      if (res.status === 404) await chrome.storage.local.set({ bucketReady: "" });
      if (res.status === 400 || res.status === 413) { sent += 1; continue; } // never valid
      if (!res.ok) { // 401 (token), 403 (origin), 429, 5xx: keep it, retry later
        failure = { status: res.status, message: await serverMessage(res) };
        break;
      }
      sent += 1;
    }
  } catch (e) {
    failure = { status: 0, message: "" }; // network error: the app is closed
  }
  if (sent) await mutateQueue((now) => now.slice(sent)); // new items stay at the end
  const left = queue.length - sent;
  if (failure) {
    await setStatus({
      state: failure.status === 0 ? "offline" : "error",
      code: failure.status,
      queued: left,
      message: `${explain(failure.status, failure.message, cfg)} ${left} heartbeat(s) waiting.`,
    });
  } else {
    await setStatus({ state: "ok", code: 200, queued: 0, message: `Recording into ${bucket}.` });
  }
}

// -- heartbeats -----------------------------------------------------------------------------
let beating = Promise.resolve();

function heartbeat() {
  beating = beating.then(beat, beat); // in order: each compares with the one before
  return beating;
}

async function beat() {
  const cfg = await settings();
  const data = await currentTab(cfg);
  if (data) {
    const now = Date.now();
    const { last } = await chrome.storage.local.get("last");
    const items = [];
    // The tab that had the focus until now: its event ends here, not at its last heartbeat
    // (as aw-watcher-web does), unless it was so long ago that it ended on its own.
    if (last && JSON.stringify(last.data) !== JSON.stringify(data) &&
        now - last.at <= PULSETIME_S * 1000) {
      items.push({ timestamp: new Date(now - 1).toISOString(), duration: 0, data: last.data });
    }
    items.push({ timestamp: new Date(now).toISOString(), duration: 0, data });
    await chrome.storage.local.set({ last: { data, at: now } });
    await enqueue(items);
  }
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
  if (tab.active && (change.url || change.title || change.status || "audible" in change)) {
    heartbeat();
  }
});
chrome.windows.onFocusChanged.addListener((windowId) => {
  if (windowId !== chrome.windows.WINDOW_ID_NONE) heartbeat();
});
chrome.storage.onChanged.addListener((changes) => {
  if (changes.port || changes.token) flush();
});
chrome.runtime.onMessage.addListener((message, _sender, reply) => {
  if (message && message.type === "flush") {
    flush().then(() => chrome.storage.local.get("status")).then(({ status }) => reply(status));
    return true; // answered asynchronously
  }
  return false;
});
