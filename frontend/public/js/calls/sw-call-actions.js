// The service worker's part of call notifications (a classic script: the app's service
// worker loads it with `importScripts("/js/calls/sw-call-actions.js")`). A click on a call
// notification (its Accept or Decline button, or the notification itself) is posted to the
// app's tabs as `{ type: "meetmap-call-action", action, callId }` and a tab is focused,
// or the app opened when none is. The names match `call-notification.js`.

/* global self, clients */
self.addEventListener("notificationclick", (event) => {
  const data = event.notification.data;
  if (data?.kind !== "meetmap-call") return;
  event.notification.close();
  const action = event.action || "open";
  event.waitUntil(
    clients.matchAll({ type: "window", includeUncontrolled: true }).then((tabs) => {
      for (const tab of tabs) tab.postMessage({ type: "meetmap-call-action", action, callId: data.callId });
      const tab = tabs.find((t) => t.visibilityState === "visible") ?? tabs[0];
      if (tab) return action === "decline" ? undefined : tab.focus();
      return action === "decline" ? undefined : clients.openWindow("/");
    }),
  );
});
