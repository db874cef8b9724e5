"""A loopback TikTok API simulator: the reference's shapes over a seeded world, with
ground truth and faults."""

from harvester.sim.tiktok.app import Faults, create_app
from harvester.sim.tiktok.data import comment, ground_truth, iter_comments
from harvester.sim.tiktok.request_log import RequestLog, read_log
from harvester.sim.tiktok.world import mention_pool

__all__ = [
    "Faults",
    "RequestLog",
    "comment",
    "create_app",
    "ground_truth",
    "iter_comments",
    "mention_pool",
    "read_log",
]
