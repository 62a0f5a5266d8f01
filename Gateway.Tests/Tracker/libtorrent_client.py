#!/usr/bin/env python3
"""A python3-libtorrent peer for the tracker tests: seed (forever, until SIGINT) or download (exit 0 when done).

usage: libtorrent_client.py seed|download TORRENT DIR TRACKER_URL LISTEN_PORT
"""
import signal
import sys
import time

import libtorrent as lt

mode, torrent, save, tracker, port = sys.argv[1:6]
settings = {
    "listen_interfaces": "127.0.0.1:%s" % port,
    "enable_dht": False,
    "enable_lsd": False,
    "enable_upnp": False,
    "enable_natpmp": False,
    # Every peer of a loopback test has the address 127.0.0.1.
    "allow_multiple_connections_per_ip": True,
    "announce_to_all_trackers": True,
    "alert_mask": lt.alert.category_t.error_notification | lt.alert.category_t.status_notification,
}
session = lt.session(settings)
info = lt.torrent_info(torrent)
# Only our tracker: drop whatever the .torrent names.
params = lt.add_torrent_params()
params.ti = info
params.save_path = save
params.trackers = [tracker]
# Not queued and not paused: start announcing at once.
params.flags &= ~(lt.torrent_flags.auto_managed | lt.torrent_flags.paused)
handle = session.add_torrent(params)
handle.replace_trackers([lt.announce_entry(tracker)])

stop = False


def on_signal(*_):
    global stop
    stop = True


signal.signal(signal.SIGINT, on_signal)
signal.signal(signal.SIGTERM, on_signal)
deadline = time.time() + 600
while not stop and time.time() < deadline:
    status = handle.status()
    if mode == "download" and status.is_seeding:
        print("done", flush=True)
        break
    time.sleep(0.1)

# Pausing announces event=stopped; wait (bounded) for the tracker's answer before the session goes away.
session.pop_alerts()
handle.pause()
until = time.time() + 5
answered = False
while not answered and time.time() < until:
    session.wait_for_alert(200)
    answered = any(isinstance(a, (lt.tracker_reply_alert, lt.tracker_error_alert)) for a in session.pop_alerts())
del session
sys.exit(0)
