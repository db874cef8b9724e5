"""The simulated world's shape, generated lazily and deterministically from a seed:
advertisers of heavy-tailed size, campaigns that start and stop over days, tens of new
ads per region per 10 minutes, each advertiser's posts, and a heavy-tailed set of
domains that comments mention (a few pushed ones everywhere, a long tail)."""

from __future__ import annotations

import bisect
import itertools
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

REGIONS = ("FR", "DE", "GB", "ES", "IT", "NL", "PL", "SE")
SLOT_S = 600  # ads appear per region per 10-minute slot
ADS_PER_SLOT = (8, 24)  # tens of new ads per region per 10 minutes
N_ADVERTISERS = 400
NO_ACCOUNT_RATIO = 0.15  # advertisers without a public TikTok account
DELETED_RATIO = 0.03  # posts deleted after they were found
UNDISCLOSED_RATIO = 0.05  # posts whose comments may not be disclosed
VIDEO_BASE = 7_300_000_000_000_000_000
AD_BASE = 1_700_000_000_000_000
BUSINESS_BASE = 7_000_000_000_000
EPOCH_DAY = date(2022, 10, 1)

_WORDS = [
    "shop",
    "deal",
    "promo",
    "best",
    "cool",
    "glow",
    "fit",
    "vita",
    "luxe",
    "mega",
    "smart",
    "eco",
    "nova",
    "pixel",
    "urban",
    "happy",
    "green",
    "star",
    "flash",
    "home",
]
_TLDS = ("com", "com", "com", "net", "shop", "store", "io", "fr", "de", "co.uk", "es", "it")


@dataclass(frozen=True)
class Advertiser:
    index: int
    business_id: str
    name: str
    username: str | None
    site: str  # the advertiser's own registrable domain
    weight: float
    period: int  # days between campaign starts
    on_days: int  # days a campaign runs
    offset: int


@dataclass(frozen=True)
class AdSpec:
    ad_id: str
    slot: int
    region: str
    advertiser: Advertiser
    campaign: int
    published: date
    first_shown: date
    last_shown: date


@dataclass(frozen=True)
class Post:
    video_id: str
    advertiser: Advertiser
    campaign: int
    kind: int  # 0: the promoted post, 1: an organic post later in the campaign
    create_time: int

    @property
    def description(self) -> str:
        what = "new collection" if self.kind == 0 else "behind the scenes"
        return f"{self.advertiser.name}: {what} #{self.advertiser.site.split('.')[0]}"


def day_of(t: float) -> date:
    return datetime.fromtimestamp(t, UTC).date()


def _day_start(d: date) -> int:
    return int(datetime.combine(d, datetime.min.time(), UTC).timestamp())


@lru_cache(maxsize=8)
def advertisers(seed: int) -> tuple[Advertiser, ...]:
    out = []
    for i in range(N_ADVERTISERS):
        rng = random.Random(f"{seed}:adv:{i}")
        word = rng.choice(_WORDS) + rng.choice(_WORDS)
        period = rng.randint(5, 15)
        out.append(
            Advertiser(
                index=i,
                business_id=str(BUSINESS_BASE + i),
                name=f"{word.title()} {rng.choice(('GmbH', 'SAS', 'Ltd', 'SL'))}",
                username=None if rng.random() < NO_ACCOUNT_RATIO else f"{word}{i}",
                site=f"{word}{i}.{rng.choice(_TLDS)}",
                weight=1.0 / (i + 1) ** 1.5,  # a few big advertisers, a long tail
                period=period,
                on_days=rng.randint(2, period - 1),
                offset=rng.randint(0, period - 1),
            )
        )
    return tuple(out)


@lru_cache(maxsize=8)
def _advertiser_cum(seed: int) -> list[float]:
    return list(itertools.accumulate(a.weight for a in advertisers(seed)))


def campaign_of(a: Advertiser, d: date) -> int | None:
    """The campaign ``a`` runs on day ``d``, or None between campaigns."""
    n = (d - EPOCH_DAY).days - a.offset
    return n // a.period if n >= 0 and n % a.period < a.on_days else None


def campaign_days(a: Advertiser, c: int) -> tuple[date, date]:
    first = EPOCH_DAY + timedelta(days=a.offset + c * a.period)
    return first, first + timedelta(days=a.on_days - 1)


def ads_in_slot(seed: int, slot: int, region: str) -> list[AdSpec]:
    """The ads first published in one 10-minute slot of one region."""
    r = REGIONS.index(region)
    rng = random.Random(f"{seed}:slot:{slot}:{region}")
    d = day_of(slot * SLOT_S)
    advs, cum = advertisers(seed), _advertiser_cum(seed)
    out = []
    for k in range(rng.randint(*ADS_PER_SLOT)):
        i = bisect.bisect_left(cum, rng.random() * cum[-1])
        for j in range(N_ADVERTISERS):  # the next advertiser that is running a campaign
            a = advs[(i + j) % N_ADVERTISERS]
            c = campaign_of(a, d)
            if c is not None:
                break
        else:
            continue
        first, last = campaign_days(a, c)
        out.append(
            AdSpec(
                ad_id=str(AD_BASE + (slot * len(REGIONS) + r) * 100 + k),
                slot=slot,
                region=region,
                advertiser=a,
                campaign=c,
                published=d,
                first_shown=first,
                last_shown=last,
            )
        )
    return out


def ad_by_id(seed: int, ad_id: str) -> AdSpec | None:
    try:
        n = int(ad_id) - AD_BASE
    except ValueError:
        return None
    if n < 0:
        return None
    slot, r = n // 100 // len(REGIONS), n // 100 % len(REGIONS)
    for ad in ads_in_slot(seed, slot, REGIONS[r]):
        if ad.ad_id == ad_id:
            return ad
    return None


def post(seed: int, a: Advertiser, c: int, kind: int) -> Post:
    first, _ = campaign_days(a, c)
    hours = -2 if kind == 0 else 24 * min(3, a.on_days - 1) + 5
    return Post(
        video_id=str(VIDEO_BASE + (a.index * 100_000 + c) * 2 + kind),
        advertiser=a,
        campaign=c,
        kind=kind,
        create_time=_day_start(first) + hours * 3600,
    )


def post_by_id(seed: int, video_id: str) -> Post | None:
    try:
        n = int(video_id) - VIDEO_BASE
    except ValueError:
        return None
    key, kind = divmod(n, 2) if n >= 0 else (-1, 0)
    a_idx, c = divmod(key, 100_000)
    if not 0 <= a_idx < N_ADVERTISERS:
        return None
    return post(seed, advertisers(seed)[a_idx], c, kind)


def posts_of(seed: int, username: str, lo: int, hi: int) -> list[Post]:
    """The posts of ``username`` created in [lo, hi) (unix seconds), oldest first."""
    found = [a for a in advertisers(seed) if a.username == username]
    if not found:
        return []
    a = found[0]
    first_c = max(0, ((day_of(lo) - EPOCH_DAY).days - a.offset) // a.period - 1)
    last_c = ((day_of(hi) - EPOCH_DAY).days - a.offset) // a.period + 1
    posts = [post(seed, a, c, k) for c in range(first_c, last_c + 1) for k in (0, 1)]
    return [p for p in posts if lo <= p.create_time < hi]


def post_state(seed: int, video_id: str) -> str | None:
    """None, "deleted" or "undisclosed": what ``comment/list`` answers for the post."""
    roll = random.Random(f"{seed}:state:{video_id}").random()
    if roll < DELETED_RATIO:
        return "deleted"
    if roll < DELETED_RATIO + UNDISCLOSED_RATIO:
        return "undisclosed"
    return None


def n_comments(seed: int, video_id: str) -> int:
    rng = random.Random(f"{seed}:n:{video_id}")
    return min(400, int(rng.paretovariate(1.3) * 12))


@lru_cache(maxsize=8)
def mention_pool(seed: int) -> tuple[tuple[str, float], ...]:
    """The seam for planted domains: (domain-or-url, weight) the comment writer samples.
    A few pushed domains carry most of the weight; the long tail is mentioned ~once."""
    rng = random.Random(f"{seed}:pool")
    pushed = [
        (f"{rng.choice(_WORDS)}{rng.choice(_WORDS)}-{n}.{rng.choice(_TLDS)}", 3000.0 / (n + 1))
        for n in range(12)
    ]
    tail = [
        (f"{rng.choice(_WORDS)}{rng.choice(_WORDS)}{n}.{rng.choice(_TLDS)}", 1.0)
        for n in range(20_000)
    ]
    return tuple(pushed + tail)


@lru_cache(maxsize=8)
def _pool_cum(seed: int) -> tuple[list[str], list[float]]:
    pool = mention_pool(seed)
    return [p[0] for p in pool], list(itertools.accumulate(p[1] for p in pool))


def sample_pool(seed: int, rng: random.Random) -> str:
    names, cum = _pool_cum(seed)
    return names[bisect.bisect_left(cum, rng.random() * cum[-1])]
