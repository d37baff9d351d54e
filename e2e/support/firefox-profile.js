// Where Firefox ESR and geckodriver are, and the profile every Firefox test user starts
// from: its preferences (fake media, geolocation, nothing beyond this machine) and a
// userChrome.css that lets its window be as narrow as a phone.

import { accessSync, constants, mkdirSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import path from "node:path";

/** Firefox ESR (Debian's `firefox-esr`), unless FIREFOX_PATH names another. */
export const FIREFOX_PATH = process.env.FIREFOX_PATH || "/usr/bin/firefox-esr";

/** The environment of geckodriver and its Firefox, beside the test process's own. */
export const FIREFOX_ENV = {
  MOZ_HEADLESS: "1",
  MOZ_CRASHREPORTER_DISABLE: "1",
  // Mozilla's own test switch: lets the profile point Remote Settings at nothing.
  MOZ_DISABLE_NONLOCAL_CONNECTIONS: "1",
};

/** The geckodriver to run: GECKODRIVER_PATH, else the PATH, else `cargo install`'s. */
export function geckodriverPath() {
  const candidates = [
    process.env.GECKODRIVER_PATH,
    ...(process.env.PATH ?? "").split(path.delimiter).map((dir) => dir && path.join(dir, "geckodriver")),
    path.join(process.env.CARGO_HOME || path.join(homedir(), ".cargo"), "bin", "geckodriver"),
  ].filter(Boolean);
  return candidates.find(isExecutable);
}

function isExecutable(file) {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Why the Firefox tests cannot run here, or `undefined` when they can. */
export function firefoxMissing() {
  if (!isExecutable(FIREFOX_PATH)) {
    return `${FIREFOX_PATH} is missing: \`sudo apt-get install firefox-esr\` (or set FIREFOX_PATH)`;
  }
  if (!geckodriverPath()) {
    return "geckodriver is missing: `cargo install --locked geckodriver` (or set GECKODRIVER_PATH)";
  }
  return undefined;
}

/**
 * Preferences of every test profile: a fake camera and microphone granted without a
 * prompt, geolocation granted (or refused) without one, media that plays by itself, WebRTC
 * over loopback with plain addresses, and nothing that reaches beyond this machine.
 */
export function preferences({ shareLocation, touch }) {
  return {
    // Touch events (`ontouchstart`, TouchEvent) as on a phone; a desktop has none.
    "dom.w3c_touch_events.enabled": touch ? 1 : 0,
    "dom.w3c_touch_events.legacy_apis.enabled": touch,
    // Read the profile's userChrome.css (see PROFILE_CHROME_CSS).
    "toolkit.legacyUserProfileCustomizations.stylesheets": true,
    "media.navigator.streams.fake": true,
    "media.navigator.permission.disabled": true,
    "permissions.default.camera": 1,
    "permissions.default.microphone": 1,
    "media.autoplay.default": 0,
    "media.autoplay.blocking_policy": 0,
    "media.peerconnection.ice.loopback": true,
    "media.peerconnection.ice.obfuscate_host_addresses": false,
    "geo.prompt.testing": true,
    "geo.prompt.testing.allow": shareLocation,
    "permissions.default.geo": shareLocation ? 1 : 2,
    "geo.provider.use_geoclue": false,
    "geo.provider.use_gpsd": false,
    "geo.provider.network.url": "",
    "notifications.prompt.testing": true,
    "notifications.prompt.testing.allow": false,
    // Mozilla's services are off or go to a closed port on loopback (as the map's tiles
    // do): a test run reaches nothing beyond this machine. Remote Settings skips its
    // syncs with this server under MOZ_DISABLE_NONLOCAL_CONNECTIONS (see FIREFOX_ENV).
    "services.settings.server": "data:,#remote-settings-dummy/v1",
    "nimbus.rollouts.enabled": false,
    "toolkit.telemetry.server": "http://127.0.0.1:9/",
    "media.gmp-manager.url": "http://127.0.0.1:9/",
    "media.gmp-manager.updateEnabled": false,
    "extensions.getAddons.cache.enabled": false,
    "extensions.systemAddon.update.enabled": false,
    "extensions.blocklist.enabled": false,
    "messaging-system.rsexperimentloader.enabled": false,
    "app.normandy.enabled": false,
    "app.shield.optoutstudies.enabled": false,
    "datareporting.healthreport.uploadEnabled": false,
    "browser.safebrowsing.malware.enabled": false,
    "browser.safebrowsing.phishing.enabled": false,
    "browser.safebrowsing.downloads.enabled": false,
    "browser.search.update": false,
    "browser.topsites.contile.enabled": false,
    "identity.fxaccounts.enabled": false,
    "dom.push.connection.enabled": false,
    "network.trr.mode": 5,
    "captivedetect.canonicalURL": "",
    "network.captive-portal-service.enabled": false,
    "network.connectivity-service.enabled": false,
    "network.dns.disablePrefetch": true,
    "network.prefetch-next": false,
    "browser.safebrowsing.update.enabled": false,
    "browser.region.network.url": "",
    "browser.region.update.enabled": false,
    "browser.shell.checkDefaultBrowser": false,
    "datareporting.policy.dataSubmissionEnabled": false,
    "toolkit.telemetry.enabled": false,
    "app.update.enabled": false,
    "extensions.update.enabled": false,
    // Several Firefoxes play video at once on two cores: keep background ones running.
    "dom.min_background_timeout_value": 4,
    "layout.css.devPixelsPerPx": "1.0",
  };
}

/**
 * Firefox keeps its windows at least 500 px wide, wider than a phone: the toolbars' own
 * minimum, lifted by the test profile's userChrome.css so the page can be 390 px wide.
 */
const PROFILE_CHROME_CSS = `:root, #main-window, #navigator-toolbox, #nav-bar, toolbar, #browser, #tabbrowser-tabbox {
  min-width: 0 !important;
}
`;

/** A profile folder for geckodriver to start from: only its userChrome.css. */
export function profileTemplate(root) {
  const dir = path.join(root, "template");
  mkdirSync(path.join(dir, "chrome"), { recursive: true });
  writeFileSync(path.join(dir, "chrome", "userChrome.css"), PROFILE_CHROME_CSS);
  return dir;
}
