"""Several hub processes behind one address: a caption sent to one reaches phones on the other (Redis)."""
from hubkit import race_for_floor


def test_two_hub_processes_share_rooms_through_redis(make_hub, client, redis_url):
    first = make_hub(CCC_MESSAGE_QUEUE=redis_url)
    second = make_hub(CCC_MESSAGE_QUEUE=redis_url, CCC_AUTO_MIGRATE="0",
                      CCC_DATABASE_URL=first.env["CCC_DATABASE_URL"])
    code = first.create_room("Big lecture hall")
    ada = client(first.url)
    assert ada.join(code, "presenter", "Ada")["ok"]
    ben = client(second.url)
    assert ben.join(code, "presenter", "Ben")["ok"]
    phones = [client(hub.url) for hub in (first, second) for _ in range(3)]
    for phone in phones:
        assert phone.join(code, "audience")["ok"]

    acks = race_for_floor([ada, ben])
    assert sum(ack["granted"] for ack in acks) == 1
    speaker = ada if acks[0]["granted"] else ben
    speaker.call("caption", {"utteranceId": "mq-1", "text": "One hall,", "isFinal": False})
    assert speaker.call("caption", {"utteranceId": "mq-1", "text": "One hall, two hubs.", "isFinal": True})["seq"] == 1
    for phone in phones:
        got = phone.wait_for(lambda c: [m for m in c.of("caption") if m["isFinal"]])
        assert [m["text"] for m in got] == ["One hall, two hubs."]
        assert [m["text"] for m in phone.of("caption") if not m["isFinal"]] == ["One hall,"]
        assert phone.wait_for("speakerChanged")["speakerName"] == speaker.of("speakerChanged")[0]["speakerName"]
    # The audience count covers both processes' phones.
    ada.wait_for(lambda c: c.of("audienceCount") and c.of("audienceCount")[-1]["count"] == 6)
