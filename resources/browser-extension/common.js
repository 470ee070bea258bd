// Shared by the background worker, the options page and the popup (plain script, no build).
"use strict";

const DEFAULTS = { port: 5600, token: "", hostname: "", sendIncognito: false };
const CLIENT_NAME = "timelygator-web-extension";

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

function bucketFor(host) {
  return `aw-watcher-web-${browserName()}_${host}`;
}

async function serverMessage(res) {
  try {
    const body = await res.json();
    return (body && body.message) || "";
  } catch (e) {
    return "";
  }
}

// What an HTTP answer means for the person using the extension.
function explain(status, message, cfg) {
  if (status === 401) {
    return `TimelyGator refused the token (HTTP 401). Pair again: in TimelyGator, Settings → ` +
      `Local API → Create pairing token, and paste it here.`;
  }
  if (status === 403) {
    return `TimelyGator refused this extension (HTTP 403): ${message || "origin not allowed"} ` +
      `This extension's id is ${chrome.runtime.id}.`;
  }
  if (status === 429) return `TimelyGator asks to slow down (HTTP 429); retrying later.`;
  if (status === 0) {
    return `Cannot reach TimelyGator on port ${Number(cfg.port) || 5600}: is the app running ` +
      `with the local API enabled (or 'timelygator serve')?`;
  }
  return `TimelyGator answered HTTP ${status}${message ? ": " + message : "."}`;
}
