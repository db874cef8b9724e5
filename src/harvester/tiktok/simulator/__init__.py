"""A loopback TikTok API simulator with seeded data, ground truth and faults."""

from harvester.tiktok.simulator.app import Faults, create_app
from harvester.tiktok.simulator.data import comment, ground_truth, iter_comments

__all__ = ["Faults", "comment", "create_app", "ground_truth", "iter_comments"]
