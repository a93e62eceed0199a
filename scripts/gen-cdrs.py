#!/usr/bin/env python3
"""Writes N synthetic FreeSWITCH CDR lines (gzip) for the demo seed: deterministic, for scripts/bench.
Usage: gen-cdrs.py N OUT [FIRST_DAY LAST_DAY [SEED]]: calls on October 2024 days FIRST_DAY..LAST_DAY (default 1..28)."""
import sys, gzip, random
n = int(sys.argv[1]); out = sys.argv[2]
first = int(sys.argv[3]) if len(sys.argv) > 3 else 1
last = int(sys.argv[4]) if len(sys.argv) > 4 else 28
random.seed(int(sys.argv[5]) if len(sys.argv) > 5 else 42)
days = last - first + 1
accts = ["ACC-10001", "ACC-10002", "ACC-10003", ""]
dests = ["98%08d", "+14155550100", "08041000001", "1800 123 4567", "022-2600-0000"]
with gzip.open(out, "wt", compresslevel=6) as f:
    for i in range(n):
        day = first + (i * 7) % days; hour = 1 + (i * 13) % 22; minute = (i * 31) % 60
        billsec = (i * 37) % 400
        cause = "NORMAL_CLEARING" if billsec > 0 else ["USER_BUSY", "NO_ANSWER", "ORIGINATOR_CANCEL", "CALL_REJECTED"][i % 4]
        start = "2024-10-%02d %02d:%02d:00" % (day, hour, minute)
        answer = "2024-10-%02d %02d:%02d:02" % (day, hour, minute) if billsec > 0 else ""
        es = 2 + billsec
        end = "2024-10-%02d %02d:%02d:%02d" % (day, hour + (minute * 60 + es) // 3600, (minute + es // 60) % 60, es % 60)
        d = dests[i % 5]
        if "%" in d: d = d % (i % 100000000)
        u = "%08x-%04x-4%03x-8%03x-%012x" % (random.getrandbits(32), random.getrandbits(16), random.getrandbits(12), random.getrandbits(12), random.getrandbits(48))
        f.write('"Caller %d","+919876543212","%s","default","%s","%s","%s",%d,%d,"%s","%s","","%s","PCMU","PCMU"\n' % (i, d, start, answer, end, es, billsec, cause, u, accts[i % 4]))
