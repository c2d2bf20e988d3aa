"""Two hub processes on one database still grant the floor to exactly one presenter."""
from hubkit import race_for_floor


def test_floor_is_exclusive_across_hub_processes(make_hub, client):
    first = make_hub()
    second = make_hub()
    second.kill()
    second.db_path = first.db_path  # point the second process at the first one's database
    second.env["CCC_DATABASE_URL"] = first.env["CCC_DATABASE_URL"]
    second.env["CCC_MESSAGE_QUEUE"] = ""
    second.env["CCC_AUTO_MIGRATE"] = "0"
    second.start()
    code = first.create_room("Shared")
    presenters = [client(hub.url) for hub in (first, second) for _ in range(6)]
    for i, p in enumerate(presenters):
        assert p.join(code, "presenter", f"P{i}")["ok"]
    acks = race_for_floor(presenters)
    assert sum(ack["granted"] for ack in acks) == 1, acks
    holder = next(ack["speaker"] for ack in acks if ack["granted"])
    assert all(ack["speaker"] == holder for ack in acks)
