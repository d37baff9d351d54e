// The backend goes away and comes back on the same port: every page reconnects by itself
// and presence is right again.

import { scenario } from "../support/browser.js";
import { sendChat, waitForChat, waitForMarkers, waitForOnlineList } from "../support/app.js";
import { LOUVRE, PARIS } from "../support/places.js";

for (const [how, stop] of [
  ["killed", (servers) => servers.killBackend()],
  ["stopped gracefully", (servers) => servers.stopBackend()],
]) {
  scenario(`10. the backend is ${how} and restarted: pages reconnect and presence is right`, async (world) => {
    const a = await world.newUser({ email: "alice@example.com", name: "Alice", room: "team", position: PARIS });
    const b = await world.newUser({ email: "bob@example.com", name: "Bob", room: "team", position: LOUVRE });
    const both = { [a.email]: PARIS, [b.email]: LOUVRE };
    for (const me of [a, b]) await waitForMarkers(me, both);

    await stop(world.servers);
    for (const me of [a, b]) {
      await me.page.locator('#connection-status:not([data-state="online"])').waitFor();
    }

    await world.servers.restartBackend();
    for (const me of [a, b]) {
      await me.waitOnline();
      await waitForMarkers(me, both);
      await waitForOnlineList(me, [a.email, b.email]);
    }
    await sendChat(b, "Back again");
    await waitForChat(a, "Back again");
  });
}
