"""`python -m bot.analytics`: the analytics consumer (bot/analytics/consumer.py). Runs until
SIGTERM or Ctrl+C, finishing the batch in hand first."""

from __future__ import annotations

import logging
import os
import sys
import threading

from bot.analytics.consumer import install_signal_handlers, main

NICENESS = 19

if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("pika").setLevel(logging.WARNING)
    # Background work: under load the Rasa server gets the CPU first, and the consumer catches up
    # from the queue afterwards (nothing waits for it).
    os.nice(NICENESS)
    stop = threading.Event()
    install_signal_handlers(stop)
    sys.exit(main(stop))
