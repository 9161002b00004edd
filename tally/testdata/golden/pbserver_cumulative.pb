META
key;value
description;Borgerbudget Barrit 2026
country;Denmark
unit;Barrit
instance;2026
num_projects;2
num_votes;1
budget;40000
vote_type;cumulative
rule;greedy-points
date_begin;01.05.2026
date_end;01.05.2026
language;da
currency;DKK
edition;2026
max_points;3
max_sum_points;5
comment;"#1: exported by pbserver from the verifiable record of round barrit-2026; tie-break min-cost,max-votes,lot"
PROJECTS
project_id;cost;score;name;category
bibliotek;30000;2;Nyt bibliotek;laering
shelter;15000;3;"Shelter; i skoven";fritid-og-faellesskab
VOTES
voter_id;vote;points
1;shelter,bibliotek;3,2
