"""The local runtime: the only emulation tradeloop writes (router, poller, scheduler), plus the
embedded AWS emulator (moto server) and the `tradeloop` CLI."""
