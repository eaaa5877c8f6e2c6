// The dashboard's sign-in: the gateway's own login mutation (it sets the session cookie),
// then back to the dashboard. JSON to /graphql from this origin, as the CSRF rules require.
(function () {
  'use strict';
  const form = document.getElementById('sign-in');
  if (!form) return;
  const error = document.getElementById('sign-in-error');
  form.addEventListener('submit', async function (event) {
    event.preventDefault();
    error.textContent = '';
    try {
      const response = await fetch('/graphql', {
        method: 'POST', credentials: 'same-origin',
        headers: {'Content-Type': 'application/json', 'Accept-Language': form.dataset.lang},
        body: JSON.stringify({
          query: 'mutation($i: LoginInput!) { login(input: $i) { errors { message } } }',
          variables: {i: {login: form.login.value, password: form.password.value}}})});
      const result = (await response.json()).data.login;
      if (result.errors.length) {
        error.textContent = result.errors.map(function (e) { return e.message; }).join(' ');
        return;
      }
      window.location.assign(form.dataset.next);
    } catch (e) {
      error.textContent = form.dataset.failed;
    }
  });
})();
