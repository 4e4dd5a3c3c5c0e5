#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# check-luoctl-json.py TAP - parse the "# json NAME {...}" lines that
# tests/vm/luoctl_test.sh printed in the guest ("luoctl status --json",
# "luoctl list --json") as a script would, and check what they say.
# Prints TAP "ok"/"not ok" lines; exits 1 if any check failed.
import json
import sys

docs = {}
for line in open(sys.argv[1], errors="replace"):
    if line.startswith("# json "):
        _, _, name, text = line.rstrip("\n").split(" ", 3)
        try:
            docs[name] = json.loads(text)
        except json.JSONDecodeError as e:
            docs[name] = e

n = 0
failed = 0


def check(what, cond):
    global n, failed
    n += 1
    if not cond:
        failed += 1
    print(("ok" if cond else "not ok") + f" {n} - json: {what}")


def doc(name):
    d = docs.get(name)
    check(f"{name} is valid JSON", isinstance(d, dict))
    return d if isinstance(d, dict) else {}


def session(lst, name, direction):
    for s in lst.get("sessions", []):
        if s.get("name") == name and s.get("direction") == direction:
            return s
    return {}


st1, st2, st3 = doc("status1"), doc("status2"), doc("status3")
l1, l2 = doc("list1"), doc("list2")

check("status1: handover is 'no image', ready", st1.get("handover") ==
      "no image" and st1.get("ready") is True)
check("status1: range numbers, size > 0",
      isinstance(st1.get("handover_base"), int) and
      st1.get("handover_size", 0) > 0)
check("status1: last_error null, generation 0",
      st1.get("last_error", 1) is None and st1.get("generation") == 0)
check("status2: restored, generation 1", st2.get("handover") ==
      "restored" and st2.get("generation") == 1)
check("status2: 2 sessions and 2 files restored and in",
      st2.get("restored_sessions") == 2 and st2.get("restored_files") == 2
      and st2.get("sessions_in") == 2 and st2.get("files_in") == 2)
check("status2: restored bytes cover the 1 MiB memfd",
      st2.get("restored_bytes", 0) > 1 << 20)
check("status3: nothing incoming left",
      st3.get("sessions_in") == 0 and st3.get("files_in") == 0)

vm = session(l1, "vm", "outgoing")
check("list1: vm outgoing, open, held by a pid",
      vm.get("state") == "open" and isinstance(vm.get("holder"), int))
f = (vm.get("files") or [{}])[0]
check("list1: vm has token 7, memfd-v1, >= 1 MiB, preserved",
      f.get("token") == 7 and f.get("type") == "memfd-v1" and
      f.get("bytes", 0) >= 1 << 20 and f.get("state") == "preserved")
check("list1: spare has token 5",
      [x.get("token") for x in session(l1, "spare", "outgoing")
       .get("files", [])] == [5])
vm2 = session(l2, "vm", "incoming")
check("list2: vm incoming, pending, no holder",
      vm2.get("state") == "pending" and vm2.get("holder") is None)
check("list2: its file is pending with no error",
      [(x.get("token"), x.get("state"), x.get("error"))
       for x in vm2.get("files", [])] == [(7, "pending", None)])
sys.exit(1 if failed else 0)
