"""What the user can ask of a guest (stop, relaunch), with the answer shown as a notification.

Shared by the fleet and guest screens; the engine does the work (`FleetView.stop_guest`,
`FleetView.relaunch`), this only checks that the request makes sense and says what happened.
"""

from __future__ import annotations

from textual.widget import Widget

from uktrace.model.guest import FleetView, Guest
from uktrace.model.text import markup


def stop_guest(node: Widget, fleet: FleetView, guest: Guest | None) -> bool:
    """Terminate the guest's QEMU (the engine records it as stopped by the user)."""
    if guest is None:
        return False
    waiting = guest.spawn_ns is None and not guest.timeline.status.finished
    if not guest.running and not waiting:
        node.notify(f"{markup(guest.name)} is not running", severity="warning")
        return False
    fleet.stop_guest(guest)
    node.notify(f"stopping {markup(guest.name)}" if guest.running else f"{markup(guest.name)} will not start")
    return True


def relaunch_guest(node: Widget, fleet: FleetView, guest: Guest | None) -> bool:
    """Boot a finished guest again (a new attempt, recorded in its own directory)."""
    if guest is None:
        return False
    if not guest.timeline.status.finished or guest.running:
        node.notify(f"{markup(guest.name)} is still running: stop it first (x)", severity="warning")
        return False
    if not fleet.relaunch(guest):
        node.notify(f"cannot relaunch {markup(guest.name)}: the run is over or is a replay", severity="warning")
        return False
    node.notify(f"relaunched {markup(guest.name)} (attempt {guest.attempt})")
    return True
