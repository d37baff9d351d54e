// The installable app: registers the service worker (/sw.js), which keeps the app shell so
// that a reload without the network shows the app and its reconnecting state instead of
// the browser's error page.

/** The worker's script; served from the root so that its scope is the whole app. */
const WORKER_URL = "/sw.js";

/** Registers the service worker once the page has loaded; without support, nothing. */
export function registerServiceWorker() {
  if (!("serviceWorker" in navigator)) return;
  const register = () =>
    navigator.serviceWorker.register(WORKER_URL).catch((err) => {
      console.warn("meetmap: no offline copy of the app", err);
    });
  if (document.readyState === "complete") register();
  else window.addEventListener("load", register, { once: true });
}
