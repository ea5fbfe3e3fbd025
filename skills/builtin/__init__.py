"""The skills every worker has: `noop`, the offline planner and thinkers, and `agent`."""

from skills.agents.skill import Agent
from skills.builtin.analyze import Analyze
from skills.builtin.chase import Chase
from skills.builtin.critique import Critique
from skills.builtin.design import Design
from skills.builtin.noop import Noop
from skills.builtin.plan import Plan
from skills.builtin.research import Research
from skills.builtin.synthesize import Synthesize

BUILTIN_SKILLS: list[type] = [Noop, Plan, Research, Chase, Analyze, Design, Critique,
                              Synthesize, Agent]
