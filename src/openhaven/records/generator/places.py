"""Where patients live and are registered: regions, postcode districts, GP practices, trusts.

Sources:

- Region populations: ONS mid-2022 population estimates for the nine English regions
  (millions, rounded to 10,000).
- Postcode districts: real outward codes of English postcode districts (Royal Mail), a
  selection per region with their post towns. Inward codes are synthetic but valid in form
  (a digit and two letters from the set Royal Mail uses, which excludes C, I, K, M, O, V).
- GP practices: ODS-style codes, a letter and five digits; the letter follows the old
  regional prefixes of practice codes (A North East, B Yorkshire, C East Midlands, D East,
  E/F London, G/H South East, J/L South West, M West Midlands, N/P North West). The codes
  are generated, so they need not belong to a real practice.
- Hospital trusts: one real NHS trust ODS code per region, used as the provider of
  outpatient, A&E and inpatient care.
- Telephone numbers: Ofcom's ranges reserved for drama (e.g. 07700 900xxx, 020 7946 0xxx,
  0161 496 0xxx), so no generated number can ring a real person.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True)
class Region:
    name: str
    population_millions: float
    practice_letter: str
    trust_code: str
    trust_name: str
    landline_prefixes: tuple[str, ...]
    districts: tuple[tuple[str, str], ...]  # (outward code, post town)


def _districts(text: str) -> tuple[tuple[str, str], ...]:
    pairs = []
    for item in text.split(";"):
        item = item.strip()
        if item:
            code, town = item.split(" ", 1)
            pairs.append((code, town.strip()))
    return tuple(pairs)


REGIONS: tuple[Region, ...] = (
    Region(
        "North East",
        2.68,
        "A",
        "RTD",
        "The Newcastle upon Tyne Hospitals NHS Foundation Trust",
        ("0191 498 0",),
        _districts("""NE1 Newcastle upon Tyne; NE4 Newcastle upon Tyne; NE6 Newcastle upon Tyne;
        NE15 Newcastle upon Tyne; NE23 Cramlington; NE29 North Shields; NE31 Hebburn;
        NE33 South Shields; SR1 Sunderland; SR4 Sunderland; DH1 Durham; DH3 Chester le Street;
        DL1 Darlington; DL14 Bishop Auckland; TS1 Middlesbrough; TS5 Middlesbrough;
        TS24 Hartlepool; TS18 Stockton-on-Tees; NE61 Morpeth"""),
    ),
    Region(
        "North West",
        7.52,
        "P",
        "R0A",
        "Manchester University NHS Foundation Trust",
        ("0161 496 0", "0151 496 0"),
        _districts("""M1 Manchester; M8 Manchester; M14 Manchester; M20 Manchester; M40 Manchester;
        L1 Liverpool; L4 Liverpool; L8 Liverpool; L15 Liverpool; L25 Liverpool; SK1 Stockport;
        OL1 Oldham; BL1 Bolton; WN1 Wigan; WA1 Warrington; PR1 Preston; BB1 Blackburn;
        FY1 Blackpool; LA1 Lancaster; CA1 Carlisle; CH41 Birkenhead; CW1 Crewe; M33 Sale;
        BB11 Burnley"""),
    ),
    Region(
        "Yorkshire and The Humber",
        5.54,
        "B",
        "RR8",
        "Leeds Teaching Hospitals NHS Trust",
        ("0113 496 0", "0114 496 0"),
        _districts("""LS1 Leeds; LS6 Leeds; LS9 Leeds; LS17 Leeds; S1 Sheffield; S5 Sheffield;
        S10 Sheffield; S11 Sheffield; BD1 Bradford; BD7 Bradford; HU1 Hull; HU5 Hull; YO1 York;
        YO24 York; HD1 Huddersfield; HX1 Halifax; WF1 Wakefield; DN1 Doncaster; S60 Rotherham;
        HG1 Harrogate; S70 Barnsley; DN31 Grimsby"""),
    ),
    Region(
        "East Midlands",
        4.93,
        "C",
        "RX1",
        "Nottingham University Hospitals NHS Trust",
        ("0115 496 0", "0116 496 0"),
        _districts("""NG1 Nottingham; NG5 Nottingham; NG7 Nottingham; LE1 Leicester; LE2 Leicester;
        LE4 Leicester; DE1 Derby; DE22 Derby; LN1 Lincoln; NN1 Northampton; NN8 Wellingborough;
        S40 Chesterfield; PE21 Boston; LE11 Loughborough; NG18 Mansfield; NN15 Kettering"""),
    ),
    Region(
        "West Midlands",
        6.02,
        "M",
        "RRK",
        "University Hospitals Birmingham NHS Foundation Trust",
        ("0121 496 0",),
        _districts("""B1 Birmingham; B5 Birmingham; B11 Birmingham; B23 Birmingham; B30 Birmingham;
        CV1 Coventry; CV6 Coventry; WV1 Wolverhampton; WS1 Walsall; DY1 Dudley;
        ST1 Stoke-on-Trent; ST4 Stoke-on-Trent; WR1 Worcester; HR1 Hereford; SY1 Shrewsbury;
        TF1 Telford; B90 Solihull; B70 West Bromwich; CV34 Warwick; ST16 Stafford"""),
    ),
    Region(
        "East of England",
        6.40,
        "D",
        "RGT",
        "Cambridge University Hospitals NHS Foundation Trust",
        ("01632 960",),
        _districts("""CB1 Cambridge; CB4 Cambridge; NR1 Norwich; NR3 Norwich; IP1 Ipswich;
        IP4 Ipswich; CO1 Colchester; CM1 Chelmsford; SS1 Southend-on-Sea; LU1 Luton;
        MK40 Bedford; PE1 Peterborough; AL1 St Albans; SG1 Stevenage; WD17 Watford;
        CM20 Harlow; NR30 Great Yarmouth; IP33 Bury St Edmunds; PE30 King's Lynn"""),
    ),
    Region(
        "London",
        8.87,
        "E",
        "RJ1",
        "Guy's and St Thomas' NHS Foundation Trust",
        ("020 7946 0",),
        _districts("""E1 London; E3 London; E6 London; E8 London; E14 London; E15 London;
        E17 London; N1 London; N7 London; N17 London; NW1 London; NW6 London; NW10 London;
        SE1 London; SE5 London; SE15 London; SE18 London; SW2 London; SW9 London; SW11 London;
        SW16 London; SW19 London; W2 London; W3 London; W12 London; EC1V London; WC1N London;
        IG1 Ilford; CR0 Croydon; HA0 Wembley; UB3 Hayes; TW3 Hounslow; BR1 Bromley;
        EN1 Enfield; RM1 Romford; KT1 Kingston upon Thames; SM1 Sutton"""),
    ),
    Region(
        "South East",
        9.38,
        "G",
        "RTH",
        "Oxford University Hospitals NHS Foundation Trust",
        ("0118 496 0",),
        _districts("""OX1 Oxford; OX4 Oxford; RG1 Reading; SO14 Southampton; SO15 Southampton;
        PO1 Portsmouth; PO4 Southsea; BN1 Brighton; BN2 Brighton; GU1 Guildford; ME1 Rochester;
        CT1 Canterbury; TN1 Tunbridge Wells; MK9 Milton Keynes; HP20 Aylesbury; SL1 Slough;
        RH1 Redhill; CT9 Margate; TN34 Hastings; PO19 Chichester; GU14 Farnborough;
        ME14 Maidstone; DA1 Dartford; RH10 Crawley; BN11 Worthing; OX16 Banbury"""),
    ),
    Region(
        "South West",
        5.76,
        "J",
        "RA7",
        "University Hospitals Bristol and Weston NHS Foundation Trust",
        ("0117 496 0",),
        _districts("""BS1 Bristol; BS5 Bristol; BS16 Bristol; BA1 Bath; EX1 Exeter; EX4 Exeter;
        PL1 Plymouth; PL4 Plymouth; TR1 Truro; TQ1 Torquay; GL1 Gloucester; GL50 Cheltenham;
        SN1 Swindon; BH1 Bournemouth; BH12 Poole; DT1 Dorchester; TA1 Taunton; SP1 Salisbury;
        BA21 Yeovil; TR18 Penzance"""),
    ),
)

LONDON = next(i for i, region in enumerate(REGIONS) if region.name == "London")

#: Letters Royal Mail uses in the last two places of an inward code.
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"

#: UK postcode format (outward code, space, inward code).
POSTCODE_PATTERN = r"^[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][ABD-HJLNP-UW-Z]{2}$"

#: Ofcom drama range for mobiles: 07700 900000 to 07700 900999.
MOBILE_PREFIX = "07700 900"

STREET_NAMES: tuple[str, ...] = tuple(
    """High Street;Station Road;Main Street;Park Road;Church Road;Church Street;London Road;
    Victoria Road;Green Lane;Manor Road;Church Lane;Park Avenue;The Avenue;The Crescent;
    Queens Road;New Road;Grange Road;Kings Road;Kingsway;Windsor Road;Highfield Road;
    Mill Lane;Alexander Road;York Road;St John's Road;Main Road;Broadway;King Street;
    The Green;Springfield Road;George Street;Park Lane;Victoria Street;Albert Road;
    Queensway;New Street;Queen Street;West Street;North Street;Manchester Road;The Grove;
    Richmond Road;Grove Road;South Street;School Lane;The Drive;North Road;Stanley Road;
    Chester Road;Mill Road;Elm Road;Cedar Avenue;Oak Avenue;Beech Grove;Willow Close;
    Meadow Way;Orchard Close;Hawthorn Drive;Priory Road;Abbey Road;Clarence Road;
    Stafford Road;Bath Road;Cambridge Road;Oxford Road;Sandy Lane;Marsh Lane;Hill Road;
    Hillside Road;Woodland Road;Rectory Lane;Mount Pleasant;Coronation Road;Brook Street;
    Bridge Street;Castle Street;Market Street;Chapel Street;Water Lane;Nelson Street;
    Wellington Road;Cromwell Road;Salisbury Road;Warwick Road;Lime Grove;Ash Grove;
    Chestnut Avenue;Sycamore Close;Rowan Way;Heather Close;Fern Lane;Primrose Hill;
    Bluebell Way;Kestrel Close;Riverside;Canal Street;Foundry Lane;Railway Terrace""".replace(
        "\n", ""
    ).split(";")
)
STREET_NAMES = tuple(s.strip() for s in STREET_NAMES)

PRACTICE_NAME_SUFFIXES = ("Surgery", "Medical Centre", "Health Centre", "Medical Practice")


@dataclass(frozen=True)
class Geography:
    """Flat arrays over every district and every practice, for vectorised lookups."""

    district_codes: tuple[str, ...]
    district_towns: tuple[str, ...]
    district_region: npt.NDArray[np.int64]
    district_weight: npt.NDArray[np.float64]
    practice_codes: tuple[str, ...]
    practice_names: tuple[str, ...]
    practice_district: npt.NDArray[np.int64]
    #: Per district, its practices as a slice of the practice arrays: [start, stop).
    district_practice_start: npt.NDArray[np.int64]
    district_practice_count: npt.NDArray[np.int64]

    @property
    def london_population_share(self) -> float:
        total = sum(r.population_millions for r in REGIONS)
        return REGIONS[LONDON].population_millions / total


@cache
def geography() -> Geography:
    """The fixed geography: the same districts and practices for every seed.

    Practices are a reference list, as in life, so two populations drawn with different
    seeds still register people with the same practices. Each district has two to five
    practices, more where its region is more populous per district.
    """
    layout = np.random.default_rng(20220630)  # fixed: the reference list never changes
    codes: list[str] = []
    towns: list[str] = []
    regions: list[int] = []
    weights: list[float] = []
    practice_codes: list[str] = []
    practice_names: list[str] = []
    practice_district: list[int] = []
    starts: list[int] = []
    counts: list[int] = []
    for region_index, region in enumerate(REGIONS):
        per_district = region.population_millions / len(region.districts)
        serial = 0
        for code, town in region.districts:
            district_index = len(codes)
            codes.append(code)
            towns.append(town)
            regions.append(region_index)
            weights.append(per_district)
            count = int(np.clip(round(per_district * 12), 2, 5))
            starts.append(len(practice_codes))
            counts.append(count)
            for _ in range(count):
                serial += int(layout.integers(1, 40))
                practice_codes.append(f"{region.practice_letter}{81000 + serial:05d}")
                street = STREET_NAMES[int(layout.integers(len(STREET_NAMES)))]
                suffix = PRACTICE_NAME_SUFFIXES[int(layout.integers(len(PRACTICE_NAME_SUFFIXES)))]
                practice_names.append(f"{street.split()[0]} {suffix}, {town}")
                practice_district.append(district_index)
    weight_array = np.asarray(weights)
    return Geography(
        district_codes=tuple(codes),
        district_towns=tuple(towns),
        district_region=np.asarray(regions, dtype=np.int64),
        district_weight=weight_array / weight_array.sum(),
        practice_codes=tuple(practice_codes),
        practice_names=tuple(practice_names),
        practice_district=np.asarray(practice_district, dtype=np.int64),
        district_practice_start=np.asarray(starts, dtype=np.int64),
        district_practice_count=np.asarray(counts, dtype=np.int64),
    )
