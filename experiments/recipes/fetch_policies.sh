#!/usr/bin/env bash
# FetchPush and FetchPickAndPlace only: experiments/recipes/robot_policies.sh with TASKS set to the two Fetch tasks.
TASKS="${TASKS:-fetch_push fetch_pick_and_place}" exec bash "$(dirname "$0")/robot_policies.sh" "$@"
