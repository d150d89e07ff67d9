#!/usr/bin/python3
"""Serve an H.264 video file over RTSP on 127.0.0.1, looping forever (a stand-in IP camera for the tests).

usage: /usr/bin/python3 rtsp_file_server.py FILE PORT [NAME]
PORT 0 picks a free port. Prints 'READY rtsp://127.0.0.1:<port>/<name>' once listening.

Runs under the system python (it has PyGObject and Debian's gst-rtsp-server), not the project's venv.
Follows /work/shared/recipes/rtsp-test-server.md.
"""
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402


def on_media_configure(factory: GstRtspServer.RTSPMediaFactory, media: GstRtspServer.RTSPMedia) -> None:
    parse = media.get_element().get_by_name("parse")

    def rewind() -> bool:
        parse.send_event(Gst.Event.new_seek(1.0, Gst.Format.TIME, Gst.SeekFlags.FLUSH,
                                            Gst.SeekType.SET, 0, Gst.SeekType.NONE, -1))
        return False  # one-shot idle callback

    def on_event(pad: Gst.Pad, info: Gst.PadProbeInfo) -> Gst.PadProbeReturn:
        # At end of file swallow EOS (it would make the server send RTCP BYE and end the session) and rewind.
        # A segment-seek loop is gapless but raced the client's PLAY and crashed the server (see the recipe).
        if info.get_event().type == Gst.EventType.EOS:
            GLib.idle_add(rewind)
            return Gst.PadProbeReturn.DROP
        return Gst.PadProbeReturn.OK

    parse.get_static_pad("src").add_probe(Gst.PadProbeType.EVENT_DOWNSTREAM, on_event)


def main() -> None:
    path, port = sys.argv[1], sys.argv[2]
    name = sys.argv[3] if len(sys.argv) > 3 else "stream"
    Gst.init(None)
    factory = GstRtspServer.RTSPMediaFactory()
    # config-interval on h264parse only: also setting it on the payloader duplicates one frame per GOP.
    factory.set_launch(f'( filesrc location="{path}" ! parsebin ! h264parse name=parse config-interval=-1 '
                       '! rtph264pay name=pay0 pt=96 )')
    factory.set_shared(False)  # every client gets its own pipeline, starting at frame 0
    factory.connect("media-configure", on_media_configure)
    server = GstRtspServer.RTSPServer(address="127.0.0.1", service=port)
    server.get_mount_points().add_factory("/" + name, factory)
    server.attach(None)  # binds and listens here
    print(f"READY rtsp://127.0.0.1:{server.get_bound_port()}/{name}", flush=True)
    GLib.MainLoop().run()


if __name__ == "__main__":
    main()
