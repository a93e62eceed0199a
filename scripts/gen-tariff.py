#!/usr/bin/env python3
"""Writes a synthetic tariff deck of PREFIXES prefixes, 4 rows each (one for each of 4 time bands),
and its bands file, for scripts/bench: deterministic (seeded).
Usage: gen-tariff.py PREFIXES DECK.csv BANDS.csv [SEED]

The deck looks like an Indian operator's retail deck:
- +91 mobile series (4 to 6 digits after +91, per-second 1/1), landline STD codes and exchange
  blocks (2 to 4 digit codes, some with exchange digits, 60/60), toll-free +911800 / +911860:
  all in the bundle;
- ISD: country codes, their city / mobile blocks, and +1 area codes with NPA-NXX blocks
  (30/6, a connect fee on the ISD rows): out of the bundle;
- the catch-all * (60/60, out of the bundle).
Every prefix has a row in each band: offpeak, peak, evening and weekend (weekend also holds the
holiday dates, at a higher priority), so every call resolves its band among 4 and walks every change.
The destinations of scripts/gen-cdrs.py (98xxxxxxxx mobiles, 080 41.., 1800 .., 022 26.., +1 415 555)
each match one of the deck's longest prefixes of their kind."""
import sys, random

n = int(sys.argv[1]); deck = sys.argv[2]; bands = sys.argv[3]
random.seed(int(sys.argv[4]) if len(sys.argv) > 4 else 7)

BANDS = [("offpeak", "*", "00:00", 0), ("peak", "mon-fri", "08:00", 0), ("evening", "mon-fri", "18:00", 0),
         ("weekend", "sat;sun;01-26;08-15;10-02;2024-10-12;2024-10-31;2024-11-01;2024-12-25", "00:00", 10)]
with open(bands, "w") as f:
    f.write("band,days,start,priority\n")
    for b in BANDS: f.write("%s,%s,%s,%d\n" % b)

prefixes = {}  # prefix -> (destination, kind)
def add(p, name, kind):
    if len(prefixes) < n - 1 and p not in prefixes: prefixes[p] = (name, kind)

# The prefixes scripts/gen-cdrs.py's calls match, first, so that any size holds them.
for p, name, kind in [("+9198", "IN Mobile 98", "mobile"), ("+91980", "IN Mobile 980", "mobile"),
                      ("+9180", "IN Bengaluru", "landline"), ("+918041", "IN Bengaluru 41", "landline"),
                      ("+9122", "IN Mumbai", "landline"), ("+912226", "IN Mumbai 26", "landline"),
                      ("+911800", "IN Toll-free", "tollfree"), ("+91", "India", "landline"),
                      ("+1", "US/Canada", "isd"), ("+1415", "US San Francisco", "isd"), ("+1415555", "US San Francisco 555", "isd")]:
    add(p, name, kind)
add("+911860", "IN Toll-free 1860", "tollfree")

countries = ["1", "7", "20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44", "45", "46", "47", "48", "49",
             "51", "52", "53", "54", "55", "56", "57", "58", "60", "61", "62", "63", "64", "65", "66", "81", "82", "84", "86", "90",
             "92", "93", "94", "95", "98", "212", "213", "216", "218", "220", "221", "233", "234", "254", "255", "256", "260",
             "263", "351", "352", "353", "354", "355", "358", "359", "370", "371", "372", "380", "381", "385", "386", "420",
             "421", "852", "853", "855", "856", "880", "886", "960", "961", "962", "963", "964", "965", "966", "967", "968",
             "971", "972", "973", "974", "975", "976", "977", "992", "993", "994", "995", "996", "998"]
for c in countries: add("+" + c, "ISD %s" % c, "isd")

target_in = (n - 1) * 6 // 10  # 60% domestic, 40% ISD
# Mobile series: every 4-digit series 6000-9999, then 5- and 6-digit blocks.
for s in range(6000, 10000):
    if len(prefixes) >= target_in * 2 // 5: break
    add("+91%d" % s, "IN Mobile %d" % s, "mobile")
# Landline STD codes (2 to 4 digits, first digit 1-8) and exchange blocks under them.
stds = ["11", "20", "22", "33", "40", "44", "79", "80"] + ["%d" % c for c in random.sample(range(120, 890), 400)] \
    + ["%d" % c for c in random.sample(range(1200, 8990), 2000)]
for c in stds: add("+91" + c, "IN STD %s" % c, "landline")
while len(prefixes) < target_in:
    r = random.random()
    if r < 0.5:
        s = random.randrange(60000, 100000) if r < 0.35 else random.randrange(600000, 1000000)
        add("+91%d" % s, "IN Mobile %d" % s, "mobile")
    else:
        c = random.choice(stds); ex = random.randrange(2, 8) * 10 + random.randrange(10)
        add("+91%s%d" % (c, ex), "IN STD %s-%d" % (c, ex), "landline")
# ISD blocks: +1 NPA and NPA-NXX, others a city or mobile block of 1 to 3 digits.
while len(prefixes) < n - 1:
    c = random.choice(countries)
    if c == "1":
        npa = random.randrange(201, 990)
        add("+1%d" % npa, "US/CA %d" % npa, "isd")
        add("+1%d%d" % (npa, random.randrange(200, 1000)), "US/CA %d" % npa, "isd")
    else:
        block = str(random.randrange(1, 10 ** random.randrange(1, 4)))
        add("+%s%s" % (c, block), "ISD %s %s" % (c, block), "isd")
prefixes["*"] = ("Rest of world", "catchall")

# rate a minute by band, unit 60; increment; connect fee; in the bundle
PRICES = {"mobile": ((0.30, 0.60, 0.45, 0.25), 1, "0", "true"),
          "landline": ((0.40, 0.80, 0.60, 0.35), 60, "0", "true"),
          "tollfree": ((0.20, 0.20, 0.20, 0.20), 60, "0", "true"),
          "isd": ((4.80, 7.20, 6.00, 4.20), 6, "0.50", "false"),
          "catchall": ((12.00, 15.00, 13.50, 12.00), 60, "1.00", "false")}
with open(deck, "w") as f:
    f.write("prefix,destination,band,from_second,rate,unit_seconds,increment_seconds,connect_fee,in_bundle\n")
    for p, (name, kind) in prefixes.items():
        rates, inc, fee, bundle = PRICES[kind]
        jitter = random.randrange(0, 20) / 100 if kind in ("isd", "mobile") else 0
        for (b, _, _, _), r in zip(BANDS, rates):
            f.write("%s,%s,%s,0,%.4f,60,%d,%s,%s\n" % (p, name, b, r + jitter, inc, fee, bundle))
