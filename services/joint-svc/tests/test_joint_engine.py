"""The state machines as data: every state maps onto the national status, transitions are checked."""

from __future__ import annotations

import pytest

from joint_svc.engine.machines import MACHINES, Action, IllegalTransition, Side, machine, transition
from supervision_schemas.joint import JointTaskKind, NationalStatus


class TestMachines:
    def test_every_kind_has_a_machine_whose_states_map_onto_the_national_statuses(self) -> None:
        assert set(MACHINES) == set(JointTaskKind)
        for m in MACHINES.values():
            assert m.initial in m.states
            assert m.terminal, m.kind
            mapped = {s for s in m.states.values() if s is not None}
            assert {NationalStatus.DISPATCHED, NationalStatus.ENDED} <= mapped, m.kind
            for state in m.terminal:
                assert not [t for t in m.actions_from(state) if t.sides != {Side.SYSTEM}], (m.kind, state)

    def test_every_state_is_reachable_from_the_initial_one(self) -> None:
        for m in MACHINES.values():
            seen = {m.initial, "unassigned"} & set(m.states)
            frontier = list(seen)
            while frontier:
                state = frontier.pop()
                for t in m.actions_from(state):
                    if t.target not in seen:
                        seen.add(t.target)
                        frontier.append(t.target)
            assert seen == set(m.states), (m.kind, set(m.states) - seen)

    def test_approval_linkage_goes_dispatched_claimed_feedback_ended(self) -> None:
        m = machine(JointTaskKind.APPROVAL_LINKAGE)
        path = [m.initial]
        for action in (Action.CLAIM, Action.START, Action.FEED_BACK, Action.CLOSE):
            path.append(transition(m.kind, path[-1], action).target)
        assert [m.national(s) for s in path] == [
            NationalStatus.DISPATCHED,
            NationalStatus.CLAIMED,
            NationalStatus.CLAIMED,
            NationalStatus.FEEDBACK,
            NationalStatus.ENDED,
        ]

    def test_feeding_back_an_unclaimed_task_is_refused_naming_the_state(self) -> None:
        with pytest.raises(IllegalTransition) as err:
            transition(JointTaskKind.APPROVAL_LINKAGE, "pushed", Action.FEED_BACK)
        assert err.value.status == 409
        assert "'pushed'" in str(err.value)
        assert err.value.extensions["state"] == "pushed"
        assert err.value.extensions["allowed_actions"] == ["cancel", "claim", "return"]

    def test_an_action_the_kind_does_not_have_is_refused(self) -> None:
        with pytest.raises(IllegalTransition) as err:
            transition(JointTaskKind.LEAD_FORWARDING, "sent", Action.DISPOSE)
        assert "has no action 'dispose'" in str(err.value)

    def test_a_finished_task_allows_nothing(self) -> None:
        with pytest.raises(IllegalTransition) as err:
            transition(JointTaskKind.ASSISTANCE, "declined", Action.ACCEPT)
        assert "nothing (the task is finished)" in str(err.value)

    def test_reasons_and_results_are_required_where_the_domain_needs_them(self) -> None:
        assert transition(JointTaskKind.ASSISTANCE, "requested", Action.DECLINE).requires[0].value == "reason"
        assert transition(JointTaskKind.LEAD_FORWARDING, "handling", Action.COMPLETE).requires[0].value == "result"
        assert transition(JointTaskKind.DISPOSAL, "claimed", Action.DISPOSE).requires[0].value == "outcome"
        assert (
            transition(JointTaskKind.CAMPAIGN_TASK, "claimed", Action.REPORT_PROGRESS).requires[0].value == "progress"
        )
