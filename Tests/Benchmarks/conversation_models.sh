# Sourced by the conversation benchmarks (tracking_encoder.sh, labelling.sh): the background
# models, enrolments and calibrations they share, made once in $W and reused.
# Needs B (the speakerid binary), C (../shared/corpora), V (../shared/conversations), W.

# prepare DIR ENROL-CORPUS UBM: enrols DIR/m and calibrates each system on held-out halves of
# the enrolment split (0.5, 1 and 2 s segments, duration quality).
prepare() {
  [ -d "$1/m" ] || $B enroll --models "$1/m" --ubm "$3" --corpus "$2" --skip-bad -q >/dev/null
  for s in gmm dvector fusion; do
    [ -f "$1/$s.cal" ] || $B calibrate --models "$1/m" --ubm "$3" --system $s --corpus "$2:enroll" --segment-seconds 0.5,1,2 --out "$1/$s.cal" -q >/dev/null
  done
}
# The cv-fa conversations' UBM: their enrolment folder + libri-background (which have not heard
# the 8 unknown speakers).
cvubm() {
  [ -f "$W/cv-ubm.gmm" ] || $B train-ubm --corpus "$V/cv-fa/enroll:enroll" --corpus "$C/libri-background:background" --components 512 --out "$W/cv-ubm.gmm" -q
}
# The minilibri conversations' UBM: libri-background (which has heard their unknown speakers).
mlubm() {
  [ -f "$W/ml-ubm.gmm" ] || $B train-ubm --corpus "$C/libri-background:background" --components 512 --out "$W/ml-ubm.gmm" -q
}
