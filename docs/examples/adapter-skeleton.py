#!/usr/bin/env python3
"""adapter-skeleton: the shape of an icelab agent adapter.

An adapter speaks docs/agent-protocol.md on stdin/stdout and drives an ICE
stack.  Everything here but class Stack is the protocol side and can stay as
it is; class Stack is where your stack's API goes (docs/writing-an-adapter.md
maps each command to what libnice's adapter calls).

As shipped, Stack gathers real host candidates (one UDP socket per address of
the node) and then, when connectivity checks would start, says the case is not
applicable: there is no ICE stack behind it.  tests/na-test runs this file
through the harness (`icelab run --agent client=docs/examples/adapter-skeleton.py`),
so the skeleton cannot rot.
"""
import json
import os
import socket
import subprocess
import sys
import time

T0 = time.monotonic()


def emit(event, **fields):
    """One event line; stdout is flushed after each (the protocol says so)."""
    line = {"event": event, "ts": round((time.monotonic() - T0) * 1000, 3)}
    line.update(fields)
    sys.stdout.write(json.dumps(line) + "\n")
    sys.stdout.flush()


def log(msg):
    """stderr is the agent's log: kept next to the report, never parsed."""
    print("adapter-skeleton: " + msg, file=sys.stderr, flush=True)


class NotApplicable(Exception):
    """The scenario asks for something the stack cannot do: the case is n/a."""


class CommandError(Exception):
    """A command the agent refuses: an `error` event echoing its id."""


CONFIGURE_KEYS = {"cmd", "id", "lite", "role", "nomination", "dtls", "families", "ufrag", "pwd",
                  "timers", "stun_servers", "turn_servers", "quirks", "nat64"}


class Stack:
    """Replace the bodies with calls into your ICE stack."""

    # What the stack can do; the harness marks a case n/a before configure
    # when it needs something missing here (e.g. "lite" for an ICE-Lite server).
    CAPABILITIES = ["full", "trickle"]

    def __init__(self):
        self.cfg = {}
        self.socks = []

    def configure(self, cfg):
        """Map configure's fields to the stack's settings."""
        if cfg.get("lite"):
            raise NotApplicable("lite: adapter-skeleton cannot act as an ICE-Lite agent")
        if cfg.get("quirks"):
            raise CommandError("quirks[0]: %r is not a quirk of this agent" % cfg["quirks"][0])
        self.cfg = cfg

    def gather(self):
        """Gather; return the local description and the candidate strings
        (RFC 8839 syntax without "a=": most stacks format them already)."""
        families = self.cfg.get("families", ["ipv4", "ipv6"])
        cands = []
        for n, (family, addr) in enumerate(host_addresses(families)):
            af = socket.AF_INET if family == "ipv4" else socket.AF_INET6
            s = socket.socket(af, socket.SOCK_DGRAM)
            s.bind((addr, 0))
            self.socks.append(s)
            prio = (126 << 24) | ((65535 - n) << 8) | 255   # RFC 8445 5.1.2.1, component 1
            cands.append("candidate:%d 1 udp %d %s %d typ host" % (n + 1, prio, addr,
                                                                   s.getsockname()[1]))
        desc = {"ufrag": self.cfg.get("ufrag", os.urandom(4).hex()),
                "pwd": self.cfg.get("pwd", os.urandom(12).hex()),
                # A real stack gives its DTLS certificate's fingerprint here.
                "fingerprint": "sha-256 " + ":".join(["00"] * 32),
                "setup": self.cfg.get("dtls", {}).get("setup", "actpass"),
                "lite": False, "options": ["ice2"]}
        return desc, cands

    def set_remote(self, cmd):
        """The peer's description: start connectivity checks here, and report
        ice-state, selected-pair, dtls-state and data-echoed from the stack's
        callbacks (see emit)."""
        raise NotApplicable("connectivity checks: adapter-skeleton has no ICE stack behind it "
                            "(replace class Stack)")

    def add_remote_candidate(self, cand):
        pass

    def end_of_candidates(self):
        pass

    def close(self):
        """Close DTLS (close_notify) and free the stack."""
        for s in self.socks:
            s.close()


def host_addresses(families):
    """(family, address) of the node's global addresses, IPv6 first."""
    out = json.loads(subprocess.run(["ip", "-j", "addr", "show"], check=True,
                                    capture_output=True, text=True).stdout)
    addrs = [("ipv6" if a["family"] == "inet6" else "ipv4", a["local"])
             for ifc in out for a in ifc.get("addr_info", [])
             if a.get("scope") == "global" and a["family"] in ("inet", "inet6")]
    return sorted((f, a) for f, a in addrs if f in families)[::-1]


def handle(stack, cmd):
    """One command; returns False when the agent must exit."""
    name = cmd.get("cmd")
    if name == "configure":
        unknown = sorted(set(cmd) - CONFIGURE_KEYS)
        if unknown:
            raise CommandError("configure: unknown field %r" % unknown[0])
        stack.configure(cmd)
    elif name == "gather":
        desc, cands = stack.gather()
        emit("local-description", **desc)
        for c in cands:
            emit("local-candidate", candidate=c)
        emit("gathering-done")
    elif name == "set-remote-description":
        stack.set_remote(cmd)
    elif name == "add-remote-candidate":
        stack.add_remote_candidate(cmd.get("candidate"))
    elif name == "end-of-candidates":
        stack.end_of_candidates()
    elif name == "close":
        return False
    else:
        raise CommandError("unknown or unsupported command %r" % name)
    return True


def main():
    stack = Stack()
    emit("hello", protocol=1, agent="adapter-skeleton", version="0.1.0",
         capabilities=Stack.CAPABILITIES)
    running = True
    while running:
        # A real adapter runs its stack's event loop and reads stdin from it
        # (a watch on fd 0, or a reader thread): select() on sys.stdin would
        # miss lines already in Python's buffer.
        line = sys.stdin.readline()
        if not line:
            break                     # end of file on stdin means close
        cmd = json.loads(line)
        log("command " + line.strip())
        try:
            running = handle(stack, cmd)
        except NotApplicable as e:
            emit("not-applicable", reason=str(e))
        except CommandError as e:
            fields = {"reason": str(e), "fatal": False}
            if "id" in cmd:
                fields["id"] = cmd["id"]
            emit("error", **fields)
    stack.close()
    emit("closed")


if __name__ == "__main__":
    main()
