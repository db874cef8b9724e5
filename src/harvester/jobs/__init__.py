"""The Inngest functions of the harvester (written with the official SDK)."""
