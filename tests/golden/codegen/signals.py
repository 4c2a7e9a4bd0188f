# ruleward: ruleset 'signals' version '1'; generated code
def _evaluate(ev):
    _fired = 0
    _errs = []
    _f0 = ev.get('hash_matches')
    if _f0 is None: _f0 = _U
    _f1 = ev.get('classifiers')
    if _f1 is None: _f1 = _U
    _f2 = ev.get('provenance')
    if _f2 is None: _f2 = _U
    _ms = _NY
    _c0 = _NY
    # rule 'matched', line 7
    try:
        _t1 = _f0
        if _t1 is _U:
            _rv = None
        else:
            if _t1.__class__ is not _list: _t1 = _iter(_t1)
            _rv = False
            for _v0 in _t1:
                _t2 = ((_v0.get('bank') if _v0.__class__ is _dict else _get(_v0, 'bank')) == 'iwf')
                if _t2:
                    _t3 = (_v0.get('distance') if _v0.__class__ is _dict else _get(_v0, 'distance'))
                    _t2 = ((_t3 <= 31) if (_t3.__class__ is _int or (_t3.__class__ is _float and _t3 == _t3)) else False if _t3 is None else _order('<=', _t3, 31))
                if _t2:
                    _rv = True
                    break
        if _rv is True: _fired |= 1
        elif _rv is None: _errs.append((0, 'when'))
    except _Exception as _e:
        _errs.append((0, _fail(_e)))
    # rule 'missing', line 16
    try:
        _rv = (_f0 is _U)
        if not _rv:
            _rv = (_f1 is _U)
        if _rv: _fired |= 2
    except _Exception as _e:
        _errs.append((1, _fail(_e)))
    # rule 'scored', line 11
    try:
        # condition 'high_score', line 5, computed on first use
        if _c0 is _NY:
            if _ms is _NY: (_m0,) = _ms = _scores(_f1)
            if _m0.__class__ is _TypeError: raise _TypeError(*_m0.args)
            _t4 = (None if _m0 is _U else (False if _m0 is None else _m0 >= 0.9))
            _c0 = _t4
        _rv = _c0
        if _rv is not True:
            _t5 = (_f2.get('validation_state') if _f2.__class__ is _dict else _get(_f2, 'validation_state'))
            _t6 = (None if _t5 is _U else (_t5 == 'invalid'))
            if _t6 is True: _rv = True
            elif _t6 is None: _rv = None
        if _rv is False:
            _rv = False
        else:
            _t7 = (None if _f0 is _U else ((not _f0) if _f0.__class__ is _list else _is_empty(_f0)))
            if _rv is None:
                _rv = False if _t7 is True else None
                _errs.append((2, 'when'))
            elif _t7 is None:
                _rv = None
                _errs.append((2, 'unless'))
            elif _t7:
                _rv = False
            else:
                _rv = True
                _fired |= 4
    except _Exception as _e:
        _errs.append((2, _fail(_e)))
    return _fired, _errs


def _scores(cl):
    if cl is _U or cl is None: return (cl,)
    if cl.__class__ is not _list and not _is_list(cl):
        _e = _not_list(cl)
        return (_e,)
    _a0 = None
    for _s in cl:
        if _s.__class__ is not _dict and not _is_mapping(_s):
            _e = _not_object(_s)
            return (_e,)
        if _s.get('status', 'ok') != 'ok': continue
        _sc = _s.get('score')
        if _sc is None: continue
        _l = _s.get('label')
        if _l == 'csam':
            if (_sc.__class__ is not _float or _sc != _sc) and _sc.__class__ is not _int and not _is_number(_sc):
                if _a0.__class__ is not _TypeError: _a0 = _not_score(_l, _sc)
            elif _a0 is None or (_a0.__class__ is not _TypeError and _sc > _a0): _a0 = _sc
    return (_a0,)
