"""The words the pages use in a sense of their own, explained where they appear (a
tooltip on a dotted underline, reachable by keyboard)."""

from __future__ import annotations

GLOSSARY: dict[str, str] = {
    "mentions": (
        "Mentions = distinct comments that name the domain: a comment naming it twice "
        "counts once; the same text in two comments counts twice."
    ),
    "confidence": (
        "Confidence, 0 to 1: how sure the match is. For an ad's link to a video: 0.9 = the "
        "advertiser's post published just before the ad was first shown, 0.6 = published "
        "while it was shown, 0.4 = a few days before. For a mention: how sure the extractor "
        "is that the text names a domain (plain link high, spelled-out name lower)."
    ),
    "rule": (
        "Rule: why this video is taken for the ad's post. direct = the source named it; "
        "account_window = the advertiser's post published while the ad was shown (from a "
        "day before); account_near = the advertiser's post a few days before that."
    ),
    "pushed": (
        "Pushed: promoted by several advertisers or in many videos (by default 3 or more "
        "advertisers, or 5 or more videos; HARVESTER_PUSHED_ADVERTISERS, HARVESTER_PUSHED_VIDEOS)."
    ),
    "young": (
        "Young: registered in the last 30 days (RDAP; HARVESTER_YOUNG_DOMAIN_DAYS). Needs the "
        "look-ups on (HARVESTER_DOMAIN_LOOKUPS=true): without them no domain is young."
    ),
}
